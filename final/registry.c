/*
 * registry.c: talking to an image registry.
 *
 * The protocol is plain HTTP (the OCI distribution spec): GET
 * /v2/REPO/manifests/TAG answers with JSON that names the image's config
 * and layers by their sha256 digests, and GET /v2/REPO/blobs/DIGEST
 * fetches each. Content is addressed by its hash, so everything fetched is
 * checked against the digest it was asked for before anything uses it.
 *
 * Authentication is a second round trip. A registry that wants it answers
 * 401 with a challenge: "WWW-Authenticate: Basic" (send the user's
 * credentials) or "Bearer realm=URL,service=S,scope=repository:R:pull"
 * (ask URL for a token, with the credentials if there are any, then send
 * "Authorization: Bearer TOKEN"). Docker Hub answers Bearer even to
 * anonymous pulls. Credentials come from `final login` or from docker's
 * ~/.docker/config.json. HTTPS always, except for registries on loopback
 * and those listed in FINAL_INSECURE_REGISTRIES, as docker does.
 *
 * libcurl does the HTTP (TLS, redirects to blob storage, resuming with a
 * Range request, and not sending our Authorization header to the host a
 * redirect points at); libcrypto computes the sha256.
 */
#define _GNU_SOURCE
#include "registry.h"
#include "dl.h"
#include "state.h"
#include "util.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_BODY (8 << 20) /* manifests, tokens and errors are small JSON documents */

/*** references ***/

bool digest_valid(const char *digest)
{
	if (strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71)
		return false;
	for (const char *p = digest + 7; *p; p++)
		if (!isdigit((unsigned char)*p) && !(*p >= 'a' && *p <= 'f'))
			return false;
	return true;
}

/* Path components of lowercase letters, digits and . _ -, as docker requires. */
static bool repository_valid(const char *s)
{
	if (!*s || *s == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    !strchr("._-/", *s))
			return false;
	return true;
}

static bool tag_valid(const char *s)
{
	if (!*s || strlen(s) > 128 || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	return true;
}

/* The first component is a registry if it looks like a host: a dot, a port, or localhost. */
static char *split_domain(char *s, struct image_ref *ref)
{
	char *slash = strchr(s, '/');

	if (slash && (memchr(s, '.', slash - s) || memchr(s, ':', slash - s) ||
		      (slash - s == 9 && strncmp(s, "localhost", 9) == 0))) {
		*slash = '\0';
		snprintf(ref->domain, sizeof(ref->domain), "%.255s",
			 strcmp(s, "index.docker.io") ? s : "docker.io");
		return slash + 1;
	}
	snprintf(ref->domain, sizeof(ref->domain), "docker.io");
	return s;
}

int reference_parse(const char *s, struct image_ref *ref)
{
	char buf[600], *rest, *at, *colon;

	*ref = (struct image_ref){0};
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return warn("image reference '%.40s...': too long", s);
	if ((at = strchr(buf, '@'))) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return warn(
			    "image reference '%s': the digest must be sha256:<64 hex digits>", s);
		snprintf(ref->digest, sizeof(ref->digest), "%s", at + 1);
	}
	rest = split_domain(buf, ref);
	if ((colon = strrchr(rest, ':'))) {
		*colon = '\0';
		if (!tag_valid(colon + 1))
			return warn("image reference '%s': bad tag '%s'", s, colon + 1);
		snprintf(ref->tag, sizeof(ref->tag), "%s", colon + 1);
	} else if (!*ref->digest) {
		snprintf(ref->tag, sizeof(ref->tag), "latest");
	}
	snprintf(ref->repository, sizeof(ref->repository), "%s%.240s",
		 strcmp(ref->domain, "docker.io") == 0 && !strchr(rest, '/') ? "library/" : "",
		 rest);
	if (!repository_valid(ref->repository))
		return warn("image reference '%s': the repository name must be lowercase letters, "
			    "digits and . _ - /",
			    s);
	snprintf(ref->name, sizeof(ref->name), "%s/%s%s%s%s%s", ref->domain, ref->repository,
		 *ref->tag ? ":" : "", ref->tag, *ref->digest ? "@" : "", ref->digest);
	return 0;
}

/*** sha256 ***/

static void hex_digest(EVP_MD_CTX *ctx, char digest[72])
{
	unsigned char md[32];
	unsigned int n;

	crypto.DigestFinal_ex(ctx, md, &n);
	strcpy(digest, "sha256:");
	for (unsigned i = 0; i < n; i++)
		sprintf(digest + 7 + 2 * i, "%02x", md[i]);
	crypto.MD_CTX_free(ctx);
}

static EVP_MD_CTX *sha256_new(void)
{
	EVP_MD_CTX *ctx = dl_crypto() < 0 ? NULL : crypto.MD_CTX_new();

	if (ctx)
		crypto.DigestInit_ex(ctx, crypto.sha256(), NULL);
	return ctx;
}

static int sha256_buf(const void *buf, size_t len, char digest[72])
{
	EVP_MD_CTX *ctx = sha256_new();

	if (!ctx)
		return -1;
	crypto.DigestUpdate(ctx, buf, len);
	hex_digest(ctx, digest);
	return 0;
}

int sha256_file(const char *path, char digest[72])
{
	EVP_MD_CTX *ctx = sha256_new();
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (!ctx || fd < 0)
		return fd >= 0 ? close(fd), -1 : warn_errno("open %s", path);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crypto.DigestUpdate(ctx, buf, n);
	close(fd);
	hex_digest(ctx, digest);
	return n < 0 ? warn_errno("read %s", path) : 0;
}

/*** credentials: final login, ~/.docker/config.json ***/

static char *auth_file(void)
{
	return xasprintf("%s/auth.json", data_root());
}

static char *docker_config(void)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	return dir ? xasprintf("%s/config.json", dir)
		   : xasprintf("%s/.docker/config.json", home ? home : "/root");
}

/* auths[KEY].auth in FILE (base64 of "user:password"), for one of DOMAIN's spellings. */
static char *auth_in(const char *file, const char *domain)
{
	bool hub = strcmp(domain, "docker.io") == 0;
	const char *keys[] = {domain, hub ? "https://index.docker.io/v1/" : domain,
			      hub ? "index.docker.io" : domain,
			      hub ? "registry-1.docker.io" : domain};
	json_t *root = json.load_file(file, 0, NULL), *auths;
	const char *auth = NULL;
	char *ret = NULL;

	auths = root ? json.object_get(root, "auths") : NULL;
	for (size_t i = 0; auths && !auth && i < N_ELEMS(keys); i++)
		auth = json.string_value(json.object_get(json.object_get(auths, keys[i]), "auth"));
	if (auth && *auth)
		ret = strdup(auth);
	if (root)
		json.delete(root);
	return ret;
}

static char *find_credentials(const char *domain)
{
	char *files[] = {auth_file(), docker_config()}, *auth = NULL;

	for (size_t i = 0; i < N_ELEMS(files); i++) {
		if (!auth)
			auth = auth_in(files[i], domain);
		free(files[i]);
	}
	return auth;
}

/*** HTTP ***/

struct registry {
	struct image_ref ref;
	char root[300]; /* https://HOST/v2/ */
	char *basic;	/* base64 "user:password", or NULL */
	char *auth;	/* the Authorization header, once a challenge was answered */
	CURL *h;
	bool progress;
	const char *label; /* what the progress line shows */
	double last_shown, started;
	long long offset; /* of a resumed download */
};

struct response {
	long status;
	char type[128], challenge[1024];
	char *body; /* in memory: every response but a blob's content */
	size_t len;
	int fd; /* a blob's content goes here */
	long long offset, limit, written;
	bool too_big;
	int write_errno; /* why writing the blob's file failed: ENOSPC, EIO, ... */
	char error[512]; /* why the transfer failed */
};

/* Plain HTTP: a loopback host (localhost, 127.0.0.0/8, [::1]) or one the user listed. */
static bool insecure(const char *domain)
{
	const char *list = getenv("FINAL_INSECURE_REGISTRIES");
	char host[256];
	struct in_addr a;
	size_t n = strlen(domain);

	snprintf(host, sizeof(host), "%s", domain);
	if (host[0] != '[')
		host[strcspn(host, ":")] = '\0';
	if (strcmp(host, "localhost") == 0 || strncmp(host, "[::1]", 5) == 0 ||
	    (inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127))
		return true;
	for (const char *p = list; p && *p; p += strcspn(p, ","), p += *p == ',')
		if (strncmp(p, domain, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* "Name: value" into OUT if LINE is that header. */
static void header_value(const char *line, size_t len, const char *name, char *out, size_t size)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return;
	for (line += n + 1, len -= n + 1; len && (*line == ' ' || *line == '\t'); line++, len--)
		;
	while (len && (line[len - 1] == '\r' || line[len - 1] == '\n'))
		len--;
	snprintf(out, size, "%.*s", (int)len, line);
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct response *resp = arg;
	size_t len = size * n;

	if (len > 9 && strncmp(line, "HTTP/", 5) == 0) { /* each redirect starts anew */
		resp->status = atol(strchr(line, ' ') ? strchr(line, ' ') : "0");
		resp->type[0] = resp->challenge[0] = '\0';
	}
	header_value(line, len, "Content-Type", resp->type, sizeof(resp->type));
	header_value(line, len, "WWW-Authenticate", resp->challenge, sizeof(resp->challenge));
	resp->type[strcspn(resp->type, "; ")] = '\0';
	return len;
}

/* A blob's content to its file (appended after a resumed part); the rest to memory. */
static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct response *resp = arg;
	size_t len = size * n, off = 0;
	ssize_t w = 0;

	if (resp->fd >= 0 && (resp->status == 200 || resp->status == 206)) {
		if (resp->status == 200 && resp->offset > 0) { /* the server ignored Range */
			if (ftruncate(resp->fd, 0) < 0)
				return 0;
			resp->offset = 0;
		}
		if (resp->limit >= 0 && resp->offset + resp->written + (long long)len > resp->limit)
			return resp->too_big = true, 0;
		/* A short write first, then -1 with the reason: ENOSPC on a full disk. */
		while (off < len && (w = write(resp->fd, data + off, len - off)) > 0)
			off += w;
		resp->written += off;
		if (off < len)
			return resp->write_errno = w < 0 ? errno : EIO, 0;
		return len;
	}
	if (resp->len + len > MAX_BODY)
		return resp->too_big = true, 0;
	resp->body = realloc(resp->body, resp->len + len + 1);
	memcpy(resp->body + resp->len, data, len);
	resp->len += len;
	resp->body[resp->len] = '\0';
	return len;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The progress line of a blob on a terminal: digest, bytes so far, total, rate. */
static void show_progress(struct registry *r, double done, double total, bool last)
{
	char d[32], all[32], rate[32];
	double t = now();

	if (!last && (t - r->last_shown < 0.1 || !done))
		return;
	r->last_shown = t;
	format_size(d, sizeof(d), r->offset + done);
	format_size(all, sizeof(all), r->offset + total);
	format_size(rate, sizeof(rate), done / (t - r->started + 1e-9));
	fprintf(stderr, "\r%.19s: %s / %s  %s/s   %s", r->label, d, all, rate, last ? "\n" : "");
}

static int on_progress(void *arg, curl_off_t total, curl_off_t done, curl_off_t ul,
		       curl_off_t ul_now)
{
	(void)ul, (void)ul_now;
	show_progress(arg, done, total, false);
	return 0;
}

static int perform(struct registry *r, const char *url, const char *accept, const char *auth,
		   struct response *resp)
{
	struct curl_slist *headers = NULL;
	CURLcode rc;

	curl.easy_reset(r->h);
	curl.easy_setopt(r->h, CURLOPT_URL, url);
	curl.easy_setopt(r->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(r->h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl.easy_setopt(r->h, CURLOPT_FOLLOWLOCATION, 1L);
	curl.easy_setopt(r->h, CURLOPT_MAXREDIRS, 5L);
	curl.easy_setopt(r->h, CURLOPT_USERAGENT, "final");
	curl.easy_setopt(r->h, CURLOPT_NOSIGNAL, 1L);
	curl.easy_setopt(r->h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl.easy_setopt(r->h, CURLOPT_LOW_SPEED_LIMIT, 1L); /* give up on a stalled server */
	curl.easy_setopt(r->h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl.easy_setopt(r->h, CURLOPT_HEADERFUNCTION, on_header);
	curl.easy_setopt(r->h, CURLOPT_HEADERDATA, resp);
	curl.easy_setopt(r->h, CURLOPT_WRITEFUNCTION, on_body);
	curl.easy_setopt(r->h, CURLOPT_WRITEDATA, resp);
	if (accept) {
		char *line = xasprintf("Accept: %s", accept);

		headers = curl.slist_append(headers, line);
		free(line);
	}
	if (auth)
		headers = curl.slist_append(headers, auth);
	curl.easy_setopt(r->h, CURLOPT_HTTPHEADER, headers);
	if (resp->fd >= 0 && resp->offset > 0)
		curl.easy_setopt(r->h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)resp->offset);
	if (resp->fd >= 0 && r->progress) {
		curl.easy_setopt(r->h, CURLOPT_NOPROGRESS, 0L);
		curl.easy_setopt(r->h, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl.easy_setopt(r->h, CURLOPT_XFERINFODATA, r);
	}
	rc = curl.easy_perform(r->h);
	curl.slist_free_all(headers);
	if (resp->too_big)
		snprintf(resp->error, sizeof(resp->error), "%s: larger than expected, refused",
			 url);
	else if (rc != CURLE_OK)
		snprintf(resp->error, sizeof(resp->error), "%s: %s", url, curl.easy_strerror(rc));
	return resp->too_big || rc != CURLE_OK ? -1 : 0;
}

/* The value of KEY in a challenge's KEY="VALUE",... parameters, or "". */
static void challenge_param(const char *challenge, const char *key, char *out, size_t size)
{
	const char *p = strchr(challenge, ' ');
	size_t n = strlen(key), len;

	*out = '\0';
	while (p && *p) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *eq = strchr(p, '='), *value;

		if (!eq)
			return;
		value = eq + 1;
		if (*value == '"') {
			value++;
			len = strchrnul(value, '"') - value;
		} else {
			len = strcspn(value, ",");
		}
		if ((size_t)(eq - p) == n && strncasecmp(p, key, n) == 0) {
			snprintf(out, size, "%.*s", (int)len, value);
			return;
		}
		p = value + len + (value[len] == '"');
	}
}

/* The registry's own words: errors[0].message of its JSON answer, if any. */
static const char *error_text(struct response *resp)
{
	static char msg[256];
	json_t *root = resp->body ? json.loads(resp->body, 0, NULL) : NULL;
	const char *m = root ? json.string_value(json.object_get(
				   json.array_get(json.object_get(root, "errors"), 0), "message"))
			     : NULL;

	snprintf(msg, sizeof(msg), "%s%s", m ? ": " : "", m ? m : "");
	if (root)
		json.delete(root);
	return msg;
}

static void response_reset(struct response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

/* Answer a Bearer challenge: fetch a token from its realm, with our credentials if any. */
static int bearer_token(struct registry *r, const char *challenge)
{
	char realm[512], service[256], scope[512], *url, *s1, *s2;
	struct response resp = {.fd = -1};
	char *basic = r->basic ? xasprintf("Authorization: Basic %s", r->basic) : NULL;
	json_t *root;
	const char *token;
	int ret;

	challenge_param(challenge, "realm", realm, sizeof(realm));
	challenge_param(challenge, "service", service, sizeof(service));
	challenge_param(challenge, "scope", scope, sizeof(scope));
	if (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7))
		return warn("%s: the registry's challenge has no usable realm: %s", r->ref.domain,
			    challenge);
	s1 = curl.easy_escape(r->h, service, 0);
	s2 = curl.easy_escape(r->h, scope, 0);
	url = xasprintf("%s%cservice=%s%s%s", realm, strchr(realm, '?') ? '&' : '?', s1,
			*scope ? "&scope=" : "", s2);
	curl.free(s1);
	curl.free(s2);
	ret = perform(r, url, NULL, basic, &resp);
	free(url);
	free(basic);
	if (ret < 0)
		return response_reset(&resp), warn("token: %s", resp.error);
	if (resp.status != 200)
		return response_reset(&resp),
		       warn("%s: the token service refused%s: HTTP %ld%s", r->ref.domain,
			    r->basic ? " our credentials" : " an anonymous pull", resp.status,
			    r->basic ? "" : " (final login?)");
	root = json.loads(resp.body, 0, NULL);
	token = json.string_value(json.object_get(root, "token"));
	if (!token)
		token = json.string_value(json.object_get(root, "access_token"));
	if (token)
		r->auth = xasprintf("Authorization: Bearer %s", token);
	if (root)
		json.delete(root);
	response_reset(&resp);
	return token ? 0 : warn("%s: the token service's answer has no token", r->ref.domain);
}

static int authenticate(struct registry *r, const char *challenge)
{
	if (strncasecmp(challenge, "Bearer ", 7) == 0)
		return bearer_token(r, challenge);
	if (strncasecmp(challenge, "Basic", 5) == 0 && r->basic) {
		r->auth = xasprintf("Authorization: Basic %s", r->basic);
		return 0;
	}
	return warn("%s wants a login (final login %s)", r->ref.domain, r->ref.domain);
}

/* GET ROOT/PATH, answering one authentication challenge. */
static int get(struct registry *r, const char *path, const char *accept, struct response *resp)
{
	char *url = xasprintf("%s%s", r->root, path);
	int ret = perform(r, url, accept, r->auth, resp);

	if (ret == 0 && resp->status == 401 && !r->auth && *resp->challenge) {
		char challenge[sizeof(resp->challenge)];

		strcpy(challenge, resp->challenge);
		response_reset(resp);
		ret = authenticate(r, challenge) < 0 ? -1 : perform(r, url, accept, r->auth, resp);
	}
	free(url);
	return ret;
}

/* A clear line for an answer other than 200/206; 0 if it was one of those. */
static int check_status(struct registry *r, struct response *resp, const char *what)
{
	if (resp->status == 200 || resp->status == 206)
		return 0;
	if (resp->status == 401 || resp->status == 403)
		return warn("%s: access denied by %s%s (final login %s?)", what, r->ref.domain,
			    error_text(resp), r->ref.domain);
	if (resp->status == 404)
		return warn("%s: not found on %s%s", what, r->ref.domain, error_text(resp));
	return warn("%s: %s answered HTTP %ld%s", what, r->ref.domain, resp->status,
		    error_text(resp));
}

/*** the API ***/

struct registry *registry_open(const struct image_ref *ref, bool progress)
{
	struct registry *r;
	bool hub = strcmp(ref->domain, "docker.io") == 0;

	if (dl_curl() < 0 || dl_json() < 0 || dl_crypto() < 0)
		return NULL;
	if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return warn("curl_global_init failed"), NULL;
	r = calloc(1, sizeof(*r));
	r->ref = *ref;
	snprintf(r->root, sizeof(r->root), "%s://%s/v2/", insecure(ref->domain) ? "http" : "https",
		 hub ? "registry-1.docker.io" : ref->domain);
	r->basic = find_credentials(ref->domain);
	r->progress = progress;
	if (!(r->h = curl.easy_init())) {
		registry_close(r);
		return warn("curl_easy_init failed"), NULL;
	}
	return r;
}

void registry_close(struct registry *r)
{
	if (!r)
		return;
	if (r->h)
		curl.easy_cleanup(r->h);
	free(r->basic);
	free(r->auth);
	free(r);
}

int registry_manifest(struct registry *r, const char *reference, const char *accept, char **body,
		      size_t *len, char type[128], char digest[72])
{
	struct response resp = {.fd = -1};
	char *path = xasprintf("%s/manifests/%s", r->ref.repository, reference);
	char *what = xasprintf("manifest %s%c%s", r->ref.repository,
			       digest_valid(reference) ? '@' : ':', reference);
	int ret = get(r, path, accept, &resp);

	if (ret < 0 && *resp.error)
		warn("%s", resp.error);
	if (ret == 0)
		ret = check_status(r, &resp, what);
	if (ret == 0 && sha256_buf(resp.body ? resp.body : "", resp.len, digest) < 0)
		ret = -1;
	if (ret == 0 && digest_valid(reference) && strcmp(reference, digest) != 0)
		ret =
		    warn("%s: the registry sent content whose sha256 is %s: refused", what, digest);
	if (ret == 0) {
		snprintf(type, 128, "%s", resp.type);
		*body = resp.body ? resp.body : strdup("");
		*len = resp.len;
	} else {
		free(resp.body);
	}
	free(path);
	free(what);
	return ret;
}

static int fetch_blob(struct registry *r, const char *digest, long long size, const char *partial)
{
	struct response resp = {.limit = size};
	char *path = xasprintf("%s/blobs/%s", r->ref.repository, digest);
	char *what = xasprintf("blob %s", digest);
	struct stat st;
	int ret = 0;

	resp.fd = open(partial, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (resp.fd < 0 || fstat(resp.fd, &st) < 0)
		ret = warn_errno("open %s", partial);
	else if (size >= 0 && st.st_size > size && ftruncate(resp.fd, 0) < 0)
		ret = warn_errno("truncate %s", partial);
	resp.offset = size >= 0 && st.st_size > size ? 0 : st.st_size;
	r->label = digest;
	r->offset = resp.offset;
	r->started = now();
	if (ret == 0 && (size < 0 || resp.offset < size)) {
		ret = get(r, path, NULL, &resp);
		if (r->progress)
			show_progress(r, resp.written, size - resp.offset, true);
		if (ret < 0 && resp.write_errno)
			warn("%s: write %s: %s after %lld bytes; pull again to resume", what,
			     partial, strerror(resp.write_errno), resp.offset + resp.written);
		else if (ret < 0 && *resp.error)
			warn("%s: download interrupted after %lld bytes (%s); pull again to resume",
			     what, resp.offset + resp.written, resp.error);
		else
			ret = check_status(r, &resp, what);
	}
	if (resp.fd >= 0)
		close(resp.fd);
	free(resp.body);
	free(path);
	free(what);
	return ret;
}

int registry_blob(struct registry *r, const char *digest, long long size, const char *path)
{
	char *partial = xasprintf("%s.partial", path), got[72];
	int ret = fetch_blob(r, digest, size, partial);

	if (ret == 0 && sha256_file(partial, got) < 0)
		ret = -1;
	if (ret == 0 && strcmp(got, digest) != 0) {
		unlink(partial);
		ret = warn("blob %s: the registry sent content whose sha256 is %s: refused, "
			   "nothing kept",
			   digest, got);
	}
	if (ret == 0 && rename(partial, path) < 0)
		ret = warn_errno("rename %s", partial);
	free(partial);
	return ret;
}

/*** final login ***/

static int store_credentials(const char *domain, const char *basic)
{
	char *file = auth_file(), *tmp = xasprintf("%s.tmp.%d", file, (int)getpid());
	json_t *root = json.load_file(file, 0, NULL), *auths;
	int ret = 0;

	if (!root)
		root = json.object();
	if (!(auths = json.object_get(root, "auths"))) {
		auths = json.object();
		json.object_set_new(root, "auths", auths);
	}
	if (basic) {
		json_t *entry = json.object();

		json.object_set_new(entry, "auth", json.string(basic));
		json.object_set_new(auths, domain, entry);
	} else if (json.object_del(auths, domain) < 0) {
		ret = warn("not logged in to %s", domain);
	}
	mode_t old = umask(077); /* credentials: readable by root only */

	if (ret == 0 && (mkdir_p(data_root()) < 0 ||
			 json.dump_file(root, tmp, JSON_INDENT(2)) < 0 || rename(tmp, file) < 0))
		ret = warn_errno("write %s", file);
	umask(old);
	unlink(tmp);
	json.delete(root);
	free(file);
	free(tmp);
	return ret;
}

int registry_login(const char *domain, const char *user, const char *password)
{
	struct image_ref ref = {0};
	struct response resp = {.fd = -1};
	char *plain = xasprintf("%s:%s", user, password), *basic;
	struct registry *r;
	int ret;

	snprintf(ref.domain, sizeof(ref.domain), "%s",
		 strcmp(domain, "index.docker.io") ? domain : "docker.io");
	if (!(r = registry_open(&ref, false)))
		return -1;
	free(r->basic);
	r->basic = basic = calloc(1, 4 * strlen(plain) / 3 + 8);
	crypto.EncodeBlock((unsigned char *)basic, (unsigned char *)plain, strlen(plain));
	/* GET /v2/ with the credentials: 200 means the registry (or its token service) took them.
	 */
	ret = get(r, "", NULL, &resp);
	if (ret < 0 && *resp.error)
		warn("login to %s: %s", ref.domain, resp.error);
	if (ret == 0 && resp.status != 200)
		ret = warn("login to %s failed: HTTP %ld%s", ref.domain, resp.status,
			   error_text(&resp));
	if (ret == 0)
		ret = store_credentials(ref.domain, basic);
	free(resp.body);
	free(plain);
	registry_close(r);
	return ret;
}

int registry_logout(const char *domain)
{
	if (dl_json() < 0)
		return -1;
	return store_credentials(strcmp(domain, "index.docker.io") ? domain : "docker.io", NULL);
}
