/*
 * registry.h: image references, and the registry HTTP API (the OCI
 * distribution spec, Docker's "registry v2") that serves their manifests
 * and blobs.
 */
#ifndef FINAL_REGISTRY_H
#define FINAL_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

/* alpine means docker.io/library/alpine:latest; host:port/repo:tag; repo@sha256:... */
struct image_ref {
	char domain[256];     /* docker.io, localhost:5000, ghcr.io */
	char repository[256]; /* library/alpine */
	char tag[129];	      /* latest, unless a digest was given */
	char digest[72];      /* sha256:<64 hex>, or "" */
	char name[720];	      /* the whole reference, normalised */
};

/* -1 with a message if S is not a reference. */
int reference_parse(const char *s, struct image_ref *ref);
/* Is DIGEST "sha256:" and 64 lowercase hex digits? */
bool digest_valid(const char *digest);

struct registry; /* a connection to one repository, with its credentials */

struct registry *registry_open(const struct image_ref *ref, bool progress);
void registry_close(struct registry *r);
/*
 * GET /v2/REPO/manifests/REFERENCE (a tag or a digest) accepting ACCEPT
 * (media types, comma-separated). The body (NUL-terminated, *LEN bytes) in
 * *BODY, to free; its media type in TYPE; its sha256 digest in DIGEST,
 * checked against REFERENCE when that is a digest.
 */
int registry_manifest(struct registry *r, const char *reference, const char *accept, char **body,
		      size_t *len, char type[128], char digest[72]);
/*
 * GET /v2/REPO/blobs/DIGEST into PATH, verified: the download goes to
 * PATH.partial (an interrupted one is resumed from where it stopped) and is
 * renamed to PATH only when its sha256 is DIGEST. SIZE is the size the
 * manifest gives, or -1.
 */
int registry_blob(struct registry *r, const char *digest, long long size, const char *path);
/* Check USER and PASSWORD against registry DOMAIN, then store them (final login). */
int registry_login(const char *domain, const char *user, const char *password);
int registry_logout(const char *domain);
/* sha256 of a file, as "sha256:<hex>". */
int sha256_file(const char *path, char digest[72]);

#endif
