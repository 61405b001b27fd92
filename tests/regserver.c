/*
 * regserver: the two small servers the pull tests put beside their registry.
 *
 *   regserver token PORT DIR USER PASSWORD
 *       a token issuer for the registry's "auth: token" mode (Docker's
 *       token authentication spec): writes a new key's certificate to
 *       DIR/cert.pem (the registry's rootcertbundle), then answers
 *       GET /token?service=S&scope=repository:NAME:ACTIONS with a JWT signed
 *       by that key: pull and push with USER:PASSWORD, pull only for
 *       anonymous clients asking for repositories under public/, 401 for
 *       wrong credentials. Each request is logged in DIR/token.log.
 *   regserver proxy PORT UPSTREAM CUT LOG
 *       forwards 127.0.0.1:PORT to 127.0.0.1:UPSTREAM, one request per
 *       connection, logging each request line and its Range header to LOG;
 *       the first blob response larger than CUT bytes is cut after CUT
 *       bytes: an interrupted download.
 *
 *   regserver static PORT DIR
 *       a fake registry for manifests no real one would serve: GET
 *       /v2/NAME/manifests/REF answers DIR/NAME with the Content-Type in
 *       DIR/NAME.type, or 404
 *   regserver htpasswd USER PASSWORD
 *       the bcrypt line for USER in a registry's htpasswd file (basic auth)
 *
 * The servers listen on loopback only, in the test's own network namespace.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <crypt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void fail(const char *what)
{
	perror(what);
	exit(1);
}

static int listen_on(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0)
		fail("listen");
	return s;
}

/* The request head (up to the empty line), NUL-terminated; its length, or -1. */
static int read_head(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, 1)) == 1) {
		buf[++len] = '\0';
		if (len >= 4 && strcmp(buf + len - 4, "\r\n\r\n") == 0)
			return len;
	}
	return -1;
}

/* The value of header NAME in HEAD, or "". */
static const char *header(const char *head, const char *name)
{
	static char value[1024];
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\r\n%s:", name);
	value[0] = '\0';
	if ((p = strcasestr(head, key)))
		sscanf(p + strlen(key), " %1023[^\r]", value);
	return value;
}

/*** token ***/

static char *base64url(const unsigned char *in, size_t len)
{
	char *out = malloc(4 * len / 3 + 8);
	int n = EVP_EncodeBlock((unsigned char *)out, in, len);

	for (int i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	return out;
}

/* A new RSA key and a self-signed certificate for it, in DIR/cert.pem. */
static EVP_PKEY *make_key(const char *dir, char **der_b64)
{
	EVP_PKEY *key = EVP_RSA_gen(2048);
	X509 *cert = X509_new();
	unsigned char *der = NULL;
	char tmp[4096], path[4096];
	int len;
	FILE *f;

	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), time(NULL));
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
				   (const unsigned char *)"final test token issuer", -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	if (!X509_sign(cert, key, EVP_sha256()))
		fail("X509_sign");
	len = i2d_X509(cert, &der);
	*der_b64 = malloc(4 * len / 3 + 8);
	EVP_EncodeBlock((unsigned char *)*der_b64, der, len);
	snprintf(tmp, sizeof(tmp), "%s/cert.pem.tmp", dir);
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	if (!(f = fopen(tmp, "w")) || !PEM_write_X509(f, cert) || fclose(f) || rename(tmp, path))
		fail(path); /* renamed: cert.pem appears complete */
	return key;
}

static char *sign(EVP_PKEY *key, const char *header_json, const char *claims)
{
	char *h = base64url((const unsigned char *)header_json, strlen(header_json));
	char *c = base64url((const unsigned char *)claims, strlen(claims)), *input, *sig, *jwt;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char raw[512];
	size_t len = sizeof(raw);

	asprintf(&input, "%s.%s", h, c);
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, raw, &len, (unsigned char *)input, strlen(input)) != 1)
		fail("EVP_DigestSign");
	sig = base64url(raw, len);
	asprintf(&jwt, "%s.%s", input, sig);
	EVP_MD_CTX_free(ctx);
	free(h), free(c), free(input), free(sig);
	return jwt;
}

/* %XX and + in a query value. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		unsigned v;

		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1)
			*out++ = v, s += 2;
		else
			*out++ = *s == '+' ? ' ' : *s;
	}
	*out = '\0';
}

static void query_param(const char *path, const char *key, char *out, size_t size)
{
	char pattern[64];
	const char *p;

	snprintf(pattern, sizeof(pattern), "%s=", key);
	out[0] = '\0';
	for (p = strchr(path, '?'); p; p = strchr(p + 1, '&'))
		if (strncmp(p + 1, pattern, strlen(pattern)) == 0) {
			snprintf(out, size, "%.*s", (int)strcspn(p + 1 + strlen(pattern), "& "),
				 p + 1 + strlen(pattern));
			unescape(out);
		}
}

static void answer_token(int fd, const char *head, EVP_PKEY *key, const char *x5c,
			 const char *credentials)
{
	char path[2048] = "", service[256], scope[512], name[256] = "", *claims, *jwt, *hdr,
	     *access;
	const char *auth = header(head, "Authorization");
	bool user = strncmp(auth, "Basic ", 6) == 0 && strcmp(auth + 6, credentials) == 0;
	long now = time(NULL);
	bool granted;

	sscanf(head, "GET %2047s", path);
	query_param(path, "service", service, sizeof(service));
	query_param(path, "scope", scope, sizeof(scope));
	sscanf(scope, "repository:%255[^:]", name);
	if (*auth && !user) {
		dprintf(fd, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
		return;
	}
	granted = *name && (user || strncmp(name, "public/", 7) == 0);
	asprintf(&access, "{\"type\":\"repository\",\"name\":\"%s\",\"actions\":[%s]}", name,
		 user ? "\"pull\",\"push\"" : "\"pull\"");
	asprintf(&claims,
		 "{\"iss\":\"final-test-issuer\",\"sub\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,"
		 "\"nbf\":%ld,\"iat\":%ld,\"jti\":\"%ld-%d\",\"access\":[%s]}",
		 user ? "tester" : "", service, now + 300, now - 60, now, now, getpid(),
		 granted ? access : "");
	asprintf(&hdr, "{\"typ\":\"JWT\",\"alg\":\"RS256\",\"x5c\":[\"%s\"]}", x5c);
	jwt = sign(key, hdr, claims);
	dprintf(fd,
		"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n"
		"{\"token\":\"%s\"}",
		strlen(jwt) + 12, jwt);
	free(claims), free(hdr), free(jwt), free(access);
}

static int serve_token(int port, const char *dir, const char *user, const char *password)
{
	char *x5c, *plain, credentials[512], log[4096], head[8192];
	EVP_PKEY *key = make_key(dir, &x5c);
	int s = listen_on(port), c;

	asprintf(&plain, "%s:%s", user, password);
	EVP_EncodeBlock((unsigned char *)credentials, (unsigned char *)plain, strlen(plain));
	snprintf(log, sizeof(log), "%s/token.log", dir);
	while ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		FILE *f = fopen(log, "a");

		if (read_head(c, head, sizeof(head)) > 0) {
			if (f)
				fprintf(f, "%.*s auth=%s\n", (int)strcspn(head, "\r"), head,
					*header(head, "Authorization") ? "yes" : "no");
			answer_token(c, head, key, x5c, credentials);
		}
		if (f)
			fclose(f);
		close(c);
	}
	return 1;
}

/*** proxy ***/

static int connect_to(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ? s : -1;
}

/* One request: forwarded with "Connection: close", its answer relayed (or cut). */
static void relay(int c, int upstream_port, long cut, const char *log)
{
	char head[8192], cut_flag[4200];
	int len = read_head(c, head, sizeof(head)), u;
	long total = 0, limit = -1;
	FILE *f = fopen(log, "a");
	ssize_t n;

	if (len < 0 || (u = connect_to(upstream_port)) < 0)
		return;
	if (f)
		fprintf(f, "%.*s range=%s\n", (int)strcspn(head, "\r"), head,
			*header(head, "Range") ? header(head, "Range") : "-"),
		    fclose(f);
	snprintf(cut_flag, sizeof(cut_flag), "%s.cut", log);
	if (strstr(head, "/blobs/") && access(cut_flag, F_OK) < 0)
		limit = cut;
	head[len - 2] = '\0'; /* before the empty line */
	dprintf(u, "%sConnection: close\r\n\r\n", head);
	while ((n = read(u, head, sizeof(head))) > 0) {
		if (limit >= 0 &&
		    total + n > limit) { /* a big blob: send CUT bytes, then hang up */
			if (write(c, head, limit - total) >= 0)
				fclose(fopen(cut_flag, "w"));
			break;
		}
		if (write(c, head, n) != n)
			break;
		total += n;
	}
	close(u);
}

static int serve_proxy(int port, int upstream, long cut, const char *log)
{
	int s = listen_on(port), c;

	signal(SIGCHLD, SIG_IGN);
	while ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		if (fork() == 0) {
			relay(c, upstream, cut, log);
			_exit(0);
		}
		close(c);
	}
	return 1;
}

/*** static ***/

static int serve_static(int port, const char *dir)
{
	char head[8192], name[256], path[4400], type[256];
	int s = listen_on(port), c;

	while ((c = accept4(s, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		FILE *body = NULL, *t = NULL;
		char content[65536] = "";
		size_t len = 0;

		if (read_head(c, head, sizeof(head)) > 0 &&
		    sscanf(head, "GET /v2/%255[^/]/manifests/", name) == 1 && !strchr(name, '.')) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			body = fopen(path, "r");
			strcat(path, ".type");
			t = fopen(path, "r");
		}
		if (body && t && fscanf(t, "%255s", type) == 1) {
			len = fread(content, 1, sizeof(content) - 1, body);
			dprintf(
			    c,
			    "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
			    type, len, content);
		} else {
			const char *e = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\","
					"\"message\":\"manifest unknown\"}]}";

			dprintf(c,
				"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
				"Content-Length: %zu\r\n\r\n%s",
				strlen(e), e);
		}
		if (body)
			fclose(body);
		if (t)
			fclose(t);
		close(c);
	}
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "token") == 0)
		return serve_token(atoi(argv[2]), argv[3], argv[4], argv[5]);
	if (argc == 4 && strcmp(argv[1], "static") == 0)
		return serve_static(atoi(argv[2]), argv[3]);
	if (argc == 4 && strcmp(argv[1], "htpasswd") == 0)
		return printf("%s:%s\n", argv[2],
			      crypt(argv[3], crypt_gensalt("$2b$", 5, NULL, 0))) < 0;
	if (argc == 6 && strcmp(argv[1], "proxy") == 0)
		return serve_proxy(atoi(argv[2]), atoi(argv[3]), atol(argv[4]), argv[5]);
	fprintf(stderr, "usage: regserver token PORT DIR USER PASSWORD | "
			"proxy PORT UPSTREAM CUT LOG | static PORT DIR | htpasswd USER PASSWORD\n");
	return 2;
}
