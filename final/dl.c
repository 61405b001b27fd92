/*
 * dl.c: load libarchive, libcurl, jansson and libcrypto on first use (see dl.h).
 */
#define _GNU_SOURCE
#include "dl.h"
#include "util.h"

#include <dlfcn.h>

struct archive_functions archive;
struct curl_functions curl;
struct json_functions json;
struct crypto_functions crypto;

#define DL_NAME(prefix, name) #prefix #name,
static const char *const archive_names[] = {ARCHIVE_FUNCTIONS(DL_NAME)};
static const char *const curl_names[] = {CURL_FUNCTIONS(DL_NAME)};
static const char *const json_names[] = {JSON_FUNCTIONS(DL_NAME)};
static const char *const crypto_names[] = {CRYPTO_FUNCTIONS(DL_NAME)};

/*
 * Fill TABLE, a struct of N function pointers in the order of NAMES, from
 * SONAME. Every pointer to function has the same size and alignment here,
 * so the struct is laid out as an array.
 */
static int load(const char *soname, const char *package, const char *const *names, size_t n,
		void *table, bool *done)
{
	void (**slot)(void) = table;
	void *lib;

	if (*done)
		return 0;
	if (!(lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL)))
		return warn("cannot load %s: %s (install %s)", soname, dlerror(), package);
	for (size_t i = 0; i < n; i++)
		if (!(*(void **)&slot[i] = dlsym(lib, names[i])))
			return warn("%s has no %s: too old? (install %s)", soname, names[i],
				    package);
	*done = true;
	return 0;
}

#define LOADER(table, soname, package)                                                             \
	int dl_##table(void)                                                                       \
	{                                                                                          \
		static bool done;                                                                  \
		_Static_assert(sizeof(table) == N_ELEMS(table##_names) * sizeof(void (*)(void)),   \
			       "one pointer per name");                                            \
		return load(soname, package, table##_names, N_ELEMS(table##_names), &table,        \
			    &done);                                                                \
	}

LOADER(archive, "libarchive.so.13", "libarchive13")
LOADER(curl, "libcurl.so.4", "libcurl4")
LOADER(json, "libjansson.so.4", "libjansson4")
LOADER(crypto, "libcrypto.so.3", "libssl3")
