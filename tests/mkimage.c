/*
 * mkimage: build the images the pull tests push to their registry.
 *
 *   mkimage tar OUT.tar[.gz|.zst] ENTRY...
 *       a layer with exactly these entries, in this order:
 *       dir:PATH  file:PATH:CONTENT[:MODE[:UID:GID]]  symlink:PATH:TARGET
 *       hardlink:PATH:TARGET  chr:PATH:MAJOR:MINOR  fifo:PATH
 *       (no checks: attack layers are what this is for)
 *   mkimage layout DIR TAG CONFIG --platform OS/ARCH LAYER... [--platform ...]
 *       an OCI image layout (image-layout.md) in DIR: one manifest, or an
 *       index of one manifest per --platform; CONFIG is the image config's
 *       "config" object as JSON, like {"Cmd":["/bin/sh"]}
 *
 * skopeo then copies DIR into the registry. Layers are built with
 * libarchive here, not by a tool that would "fix" them, so the tests
 * control every byte a hostile registry could send.
 */
#define _GNU_SOURCE
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void fail(const char *what)
{
	fprintf(stderr, "mkimage: %s\n", what);
	exit(1);
}

/*** mkimage tar ***/

static void add_entry(struct archive *a, char *spec)
{
	struct archive_entry *e = archive_entry_new();
	char *kind = strsep(&spec, ":"), *path = strsep(&spec, ":"), *arg = strsep(&spec, ":");
	char *mode = strsep(&spec, ":"), *uid = strsep(&spec, ":"), *gid = strsep(&spec, ":");

	if (!path)
		fail("an entry is KIND:PATH[:...]");
	archive_entry_set_pathname(e, path);
	archive_entry_set_mtime(e, 1700000000, 0);
	archive_entry_set_uid(e, uid ? atoi(uid) : 0);
	archive_entry_set_gid(e, gid ? atoi(gid) : 0);
	if (strcmp(kind, "dir") == 0) {
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, arg ? strtol(arg, NULL, 8) : 0755);
	} else if (strcmp(kind, "file") == 0) {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, mode ? strtol(mode, NULL, 8) : 0644);
		archive_entry_set_size(e, arg ? strlen(arg) : 0);
	} else if (strcmp(kind, "symlink") == 0) {
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, arg);
	} else if (strcmp(kind, "hardlink") == 0) {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_hardlink(e, arg);
	} else if (strcmp(kind, "chr") == 0) {
		archive_entry_set_filetype(e, AE_IFCHR);
		archive_entry_set_perm(e, 0666);
		archive_entry_set_rdevmajor(e, atoi(arg));
		archive_entry_set_rdevminor(e, mode ? atoi(mode) : 0);
	} else if (strcmp(kind, "fifo") == 0) {
		archive_entry_set_filetype(e, AE_IFIFO);
		archive_entry_set_perm(e, 0644);
	} else {
		fail("unknown entry kind: use dir, file, symlink, hardlink, chr or fifo");
	}
	if (archive_write_header(a, e) != ARCHIVE_OK)
		fail(archive_error_string(a));
	if (strcmp(kind, "file") == 0 && arg)
		archive_write_data(a, arg, strlen(arg));
	archive_entry_free(e);
}

static int make_tar(int argc, char **argv)
{
	struct archive *a = archive_write_new();
	size_t len = strlen(argv[0]);

	archive_write_set_format_pax_restricted(a);
	if (len > 3 && strcmp(argv[0] + len - 3, ".gz") == 0)
		archive_write_add_filter_gzip(a);
	if (len > 4 && strcmp(argv[0] + len - 4, ".zst") == 0)
		archive_write_add_filter_zstd(a);
	if (archive_write_open_filename(a, argv[0]) != ARCHIVE_OK)
		fail(archive_error_string(a));
	for (int i = 1; i < argc; i++)
		add_entry(a, argv[i]);
	archive_write_close(a);
	archive_write_free(a);
	return 0;
}

/*** mkimage layout ***/

/* sha256 of BUF, or of FILE's content decompressed (a layer's diff_id). */
static void sha256(const void *buf, size_t len, const char *file, char out[72])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct archive *a = file ? archive_read_new() : NULL;
	struct archive_entry *e;
	unsigned char md[32], chunk[65536];
	la_ssize_t n;

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	if (buf)
		EVP_DigestUpdate(ctx, buf, len);
	if (a) { /* the "raw" format: the whole stream, through whichever filter it needs */
		archive_read_support_filter_all(a);
		archive_read_support_format_raw(a);
		if (archive_read_open_filename(a, file, 65536) != ARCHIVE_OK ||
		    archive_read_next_header(a, &e) != ARCHIVE_OK)
			fail(archive_error_string(a));
		while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0)
			EVP_DigestUpdate(ctx, chunk, n);
		archive_read_free(a);
	}
	EVP_DigestFinal_ex(ctx, md, NULL);
	EVP_MD_CTX_free(ctx);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;

	if (!f)
		fail(path);
	fseek(f, 0, SEEK_END);
	*len = ftell(f);
	rewind(f);
	buf = malloc(*len + 1);
	if (fread(buf, 1, *len, f) != *len)
		fail(path);
	fclose(f);
	return buf;
}

/* Store BUF as a blob of DIR; its digest in DIGEST. */
static void put_blob(const char *dir, const char *buf, size_t len, char digest[72])
{
	char path[4096];
	FILE *f;

	sha256(buf, len, NULL, digest);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, digest + 7);
	if (!(f = fopen(path, "wb")) || fwrite(buf, 1, len, f) != len || fclose(f))
		fail(path);
}

/* A manifest for PLATFORM with LAYERS; its descriptor (JSON) into DESC. */
static void put_manifest(const char *dir, const char *config, const char *platform, char **layers,
			 int n, char *desc, size_t size)
{
	char os[32] = "", arch[32] = "", digest[72], cdigest[72], diff[72], *json, *list = NULL;
	char *diffs = NULL;
	size_t len;

	sscanf(platform, "%31[^/]/%31s", os, arch);
	for (int i = 0; i < n; i++) {
		char *blob = slurp(layers[i], &len), *old = list, *old_diffs = diffs;
		const char *suffix = strstr(layers[i], ".gz")	 ? "+gzip"
				     : strstr(layers[i], ".zst") ? "+zstd"
								 : "";

		put_blob(dir, blob, len, digest);
		sha256(NULL, 0, layers[i], diff);
		asprintf(&list,
			 "%s%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar%s\","
			 "\"digest\":\"%s\",\"size\":%zu}",
			 old ? old : "", old ? "," : "", suffix, digest, len);
		asprintf(&diffs, "%s%s\"%s\"", old_diffs ? old_diffs : "", old_diffs ? "," : "",
			 diff);
		free(old), free(old_diffs), free(blob);
	}
	len = asprintf(&json,
		       "{\"architecture\":\"%s\",\"os\":\"%s\",\"config\":%s,"
		       "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%s]}}",
		       arch, os, config, diffs ? diffs : "");
	put_blob(dir, json, len, cdigest);
	free(json);
	len = asprintf(
	    &json,
	    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+"
	    "json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"digest\":\"%s\",\"size\":%zu},\"layers\":[%s]}",
	    cdigest, len, list ? list : "");
	put_blob(dir, json, len, digest);
	snprintf(desc, size,
		 "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\","
		 "\"size\":%zu,\"platform\":{\"os\":\"%s\",\"architecture\":\"%s\"}}",
		 digest, len, os, arch);
	free(json), free(list), free(diffs);
}

static int make_layout(int argc, char **argv)
{
	const char *dir = argv[0], *tag = argv[1], *config = argv[2];
	char path[4096], descs[8][512], top[4200], digest[72], *json;
	int n = 0, len;
	FILE *f;

	snprintf(path, sizeof(path), "mkdir -p %s/blobs/sha256", dir);
	if (system(path) != 0)
		fail(path);
	for (int i = 3; i < argc && n < 8;) {
		int first = i + 2, last = first;

		if (strcmp(argv[i], "--platform") != 0 || i + 1 >= argc)
			fail("use --platform OS/ARCH LAYER...");
		while (last < argc && strcmp(argv[last], "--platform") != 0)
			last++;
		put_manifest(dir, config, argv[i + 1], argv + first, last - first, descs[n++], 512);
		i = last;
	}
	if (n == 1) {
		snprintf(top, sizeof(top), "%s", descs[0]);
	} else { /* an index of the manifests */
		char list[sizeof(descs)] = "";

		for (int i = 0; i < n; i++)
			sprintf(list + strlen(list), "%s%s", i ? "," : "", descs[i]);
		len = asprintf(&json,
			       "{\"schemaVersion\":2,\"mediaType\":\"application/"
			       "vnd.oci.image.index.v1+json\",\"manifests\":[%s]}",
			       list);
		put_blob(dir, json, len, digest);
		snprintf(top, sizeof(top),
			 "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
			 "\"digest\":\"%s\",\"size\":%d}",
			 digest, len);
		free(json);
	}
	/* index.json names the top object TAG: {...} becomes {..., "annotations": ...}. */
	top[strlen(top) - 1] = '\0';
	snprintf(path, sizeof(path), "%s/index.json", dir);
	if (!(f = fopen(path, "w")))
		fail(path);
	fprintf(f,
		"{\"schemaVersion\":2,\"manifests\":[%s,\"annotations\":{"
		"\"org.opencontainers.image.ref.name\":\"%s\"}}]}",
		top, tag);
	fclose(f);
	snprintf(path, sizeof(path), "%s/oci-layout", dir);
	if (!(f = fopen(path, "w")))
		fail(path);
	fprintf(f, "{\"imageLayoutVersion\":\"1.0.0\"}");
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 3 && strcmp(argv[1], "tar") == 0)
		return make_tar(argc - 2, argv + 2);
	if (argc > 6 && strcmp(argv[1], "layout") == 0)
		return make_layout(argc - 2, argv + 2);
	fail("usage: mkimage tar OUT ENTRY... | layout DIR TAG CONFIG --platform P LAYER...");
}
