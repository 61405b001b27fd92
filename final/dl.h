/*
 * dl.h: the libraries final loads when a command first needs them.
 *
 * libarchive (tarballs and image layers), libcurl (registries), jansson
 * (JSON) and libcrypto (sha256) pull in some forty other libraries between
 * them. Linked the usual way, the dynamic loader would map all of them
 * before main(): 3.4 ms for every `final` command, twice for `final run`,
 * which re-executes itself (measured with hyperfine on an empty main()
 * linked with and without them). So they are opened with dlopen() by the
 * commands that use them, and called through a table of pointers looked up
 * with dlsym(): archive.read_new() is archive_read_new().
 */
#ifndef FINAL_DL_H
#define FINAL_DL_H

#define CURL_DISABLE_TYPECHECK /* curl_easy_setopt must stay a function, not a macro */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

/* X(prefix, name): the function prefix##name, called as table.name. */
#define ARCHIVE_FUNCTIONS(X)                                                                       \
	X(archive_, read_new)                                                                      \
	X(archive_, write_disk_new)                                                                \
	X(archive_, read_support_format_tar)                                                       \
	X(archive_, read_support_filter_all)                                                       \
	X(archive_, write_disk_set_options)                                                        \
	X(archive_, read_open_filename)                                                            \
	X(archive_, error_string)                                                                  \
	X(archive_, read_next_header)                                                              \
	X(archive_, write_header)                                                                  \
	X(archive_, read_data_block)                                                               \
	X(archive_, write_data_block)                                                              \
	X(archive_, write_finish_entry)                                                            \
	X(archive_, read_free)                                                                     \
	X(archive_, write_free)                                                                    \
	X(archive_, entry_pathname)                                                                \
	X(archive_, entry_set_pathname)                                                            \
	X(archive_, entry_hardlink)                                                                \
	X(archive_, entry_clear)                                                                   \
	X(archive_, entry_set_filetype)                                                            \
	X(archive_, entry_set_perm)                                                                \
	X(archive_, entry_set_uid)                                                                 \
	X(archive_, entry_set_gid)                                                                 \
	X(archive_, entry_set_rdev)                                                                \
	X(archive_, entry_xattr_add_entry)                                                        \
	X(archive_, read_disk_new)                                                                 \
	X(archive_, read_disk_set_symlink_physical)                                                \
	X(archive_, read_disk_set_behavior)                                                        \
	X(archive_, read_disk_open)                                                                \
	X(archive_, read_disk_descend)                                                             \
	X(archive_, read_next_header2)                                                             \
	X(archive_, entry_new)                                                                     \
	X(archive_, entry_free)                                                                    \
	X(archive_, entry_uid)                                                                     \
	X(archive_, entry_gid)                                                                     \
	X(archive_, entry_linkresolver_new)                                                        \
	X(archive_, entry_linkresolver_set_strategy)                                               \
	X(archive_, entry_linkresolver_free)                                                       \
	X(archive_, entry_linkify)

#define CURL_FUNCTIONS(X)                                                                          \
	X(curl_, global_init)                                                                      \
	X(curl_, easy_init)                                                                        \
	X(curl_, easy_setopt)                                                                      \
	X(curl_, easy_perform)                                                                     \
	X(curl_, easy_reset)                                                                       \
	X(curl_, easy_cleanup)                                                                     \
	X(curl_, easy_strerror)                                                                    \
	X(curl_, easy_escape)                                                                      \
	X(curl_, free)                                                                             \
	X(curl_, slist_append)                                                                     \
	X(curl_, slist_free_all)

#define JSON_FUNCTIONS(X)                                                                          \
	X(json_, loads)                                                                            \
	X(json_, load_file)                                                                        \
	X(json_, dump_file)                                                                        \
	X(json_, delete)                                                                           \
	X(json_, object)                                                                           \
	X(json_, object_get)                                                                       \
	X(json_, object_set_new)                                                                   \
	X(json_, object_del)                                                                       \
	X(json_, string)                                                                           \
	X(json_, string_value)                                                                     \
	X(json_, integer_value)                                                                    \
	X(json_, array_size)                                                                       \
	X(json_, array_get)                                                                        \
	X(json_, array)                                                                            \
	X(json_, array_append_new)                                                                 \
	X(json_, pack)                                                                             \
	X(json_, real_value)                                                                       \
	X(json_, object_size)                                                                      \
	X(json_, object_iter)                                                                      \
	X(json_, object_iter_next)                                                                 \
	X(json_, object_iter_key)                                                                  \
	X(json_, object_iter_value)                                                                \
	X(json_, dumps)                                                                            \
	X(json_, integer)

#define CRYPTO_FUNCTIONS(X)                                                                        \
	X(EVP_, sha256)                                                                            \
	X(EVP_, MD_CTX_new)                                                                        \
	X(EVP_, MD_CTX_free)                                                                       \
	X(EVP_, DigestInit_ex)                                                                     \
	X(EVP_, DigestUpdate)                                                                      \
	X(EVP_, DigestFinal_ex)                                                                    \
	X(EVP_, EncodeBlock)

#define DL_POINTER(prefix, name) typeof(prefix##name) *name;
extern struct archive_functions {
	ARCHIVE_FUNCTIONS(DL_POINTER)
} archive;
extern struct curl_functions {
	CURL_FUNCTIONS(DL_POINTER)
} curl;
extern struct json_functions {
	JSON_FUNCTIONS(DL_POINTER)
} json;
extern struct crypto_functions {
	CRYPTO_FUNCTIONS(DL_POINTER)
} crypto;

/* Load a library and fill its table (once); -1 with a message naming the package. */
int dl_archive(void);
int dl_curl(void);
int dl_json(void);
int dl_crypto(void);

#endif
