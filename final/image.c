/*
 * image.c: where a container's root comes from.
 *
 * ROOTFS can be a directory (used as it is), a rootfs tarball (unpacked
 * once into the store), or the name of an image in a registry: alpine,
 * alpine:3.20, localhost:5000/app@sha256:... An image is pulled once into
 * a local store, content-addressed like the registry itself:
 *
 *   FINAL_DATA/blobs/sha256/HEX          manifests and image configs
 *   FINAL_DATA/blobs/sha256/HEX.partial  an interrupted download, resumed next time
 *                                        (or removed by rmi and system prune)
 *   FINAL_DATA/layers/sha256/HEX/        one layer, unpacked (HEX: its digest)
 *   FINAL_DATA/refs/NAME                 the digest of NAME's manifest ('/' as '+')
 *
 * A pull fetches the manifest (choosing this machine's platform from an
 * index), the config, and every layer it lacks; writing refs/NAME is the
 * last step, so an interrupted pull never leaves an image that looks
 * usable. A layer shared by two images is stored once; the container's
 * root is an overlay of the image's layers (rootfs.c), and the image
 * config's Entrypoint, Cmd, Env, WorkingDir and User are the defaults
 * that the command line overrides.
 */
#define _GNU_SOURCE
#include "image.h"
#include "dl.h"
#include "layer.h"
#include "path.h"
#include "registry.h"
#include "state.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define OCI_INDEX	"application/vnd.oci.image.index.v1+json"
#define OCI_MANIFEST	"application/vnd.oci.image.manifest.v1+json"
#define DOCKER_LIST	"application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define ACCEPT_ALL	OCI_INDEX "," DOCKER_LIST "," OCI_MANIFEST "," DOCKER_MANIFEST

/*** rootfs tarballs ***/

static bool is_tarball(const char *path)
{
	static const char *const suffixes[] = {".tar", ".tar.gz", ".tgz"};
	size_t len = strlen(path);

	for (size_t i = 0; i < N_ELEMS(suffixes); i++) {
		size_t n = strlen(suffixes[i]);

		if (len > n && strcmp(path + len - n, suffixes[i]) == 0)
			return true;
	}
	return false;
}

/* FNV-1a over the path, size and mtime: which unpacked copy belongs to this tarball. */
static uint64_t tarball_key(const char *path, const struct stat *st)
{
	uint64_t h = 14695981039346656037ULL;
	char buf[4200];
	int n = snprintf(buf, sizeof(buf), "%s %lld %lld.%09ld", path, (long long)st->st_size,
			 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);

	for (int i = 0; i < n; i++)
		h = (h ^ (unsigned char)buf[i]) * 1099511628211ULL;
	return h;
}

/* Remove DIR.tmp.PID left by a run that was killed while unpacking (PID is gone). */
static void remove_stale_unpacks(const char *dir)
{
	char *pattern = xasprintf("%s.tmp.*", dir);
	glob_t g;

	if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			if (!pid_alive(atoi(strrchr(g.gl_pathv[i], '.') + 1)))
				remove_tree(g.gl_pathv[i]);
	globfree(&g);
	free(pattern);
}

/*
 * Unpack TARBALL (or a layer, with WHITEOUTS) into DIR: into DIR.tmp.PID
 * first, renamed into place only when complete. 0 if DIR exists already.
 */
static int unpack_once(const char *tarball, const char *dir, bool whiteouts, const char *what)
{
	char *tmp = xasprintf("%s.tmp.%d", dir, (int)getpid());
	int ret = 0;

	if (access(dir, F_OK) == 0)
		goto out;
	remove_stale_unpacks(dir);
	if (mkdir_p(tmp) < 0)
		ret = warn_errno("mkdir %s", tmp);
	else if (layer_unpack(tarball, tmp, whiteouts, what) < 0)
		ret = -1;
	else if (rename(tmp, dir) < 0 && access(dir, F_OK) < 0)
		ret = warn_errno("rename %s %s", tmp, dir);
	remove_tree(tmp); /* failed, or another run got there first */
out:
	free(tmp);
	return ret;
}

static int resolve_tarball(const char *real, const struct stat *st, char *dir, size_t size)
{
	char *store =
	    xasprintf("%s/images/%016llx", data_root(), (unsigned long long)tarball_key(real, st));
	char *what = xasprintf("rootfs %s", real);
	int ret;

	snprintf(dir, size, "%s/rootfs", store);
	if ((ret = mkdir_p(store) < 0 ? warn_errno("mkdir %s", store)
				      : unpack_once(real, dir, false, what)) < 0)
		rmdir(store);
	free(store);
	free(what);
	return ret;
}

/*** the store ***/

/* FINAL_DATA/KIND/sha256/HEX for DIGEST. */
static char *store_path(const char *kind, const char *digest)
{
	return xasprintf("%s/%s/sha256/%s", data_root(), kind, digest + strlen("sha256:"));
}

static char *ref_path(const char *name)
{
	char *path = xasprintf("%s/refs/%s", data_root(), name);

	for (char *p = path + strlen(data_root()) + strlen("/refs/"); *p; p++)
		if (*p == '/')
			*p = '+';
	return path;
}

/* The manifest digest NAME was pulled as; -1 (quietly) if it was not. */
static int read_ref(const char *name, char digest[72])
{
	char *path = ref_path(name);
	int n = read_file(path, digest, 72);

	free(path);
	digest[strcspn(digest, "\n")] = '\0';
	return n > 0 && digest_valid(digest) ? 0 : -1;
}

static int write_ref(const char *name, const char *digest)
{
	char *path = ref_path(name), *dir = strdup(path);
	int ret = 0;

	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir) < 0)
		ret = warn_errno("mkdir %s", dir);
	else if (replace_file(path, digest) < 0)
		ret = warn_errno("write %s", path);
	free(path);
	free(dir);
	return ret;
}

/* A JSON blob from the store (a manifest or a config); NULL with a message if unreadable. */
static json_t *load_blob(const char *digest)
{
	char *path = store_path("blobs", digest);
	json_error_t err;
	json_t *root = json.load_file(path, 0, &err);

	if (!root)
		warn("%s: %s", path, err.text);
	free(path);
	return root;
}

/* Pulls and removals take this lock: a removal must not collect what a pull is adding. */
static int store_lock(void)
{
	char *path = xasprintf("%s/store.lock", data_root());
	int fd;

	mkdir_p(data_root());
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		warn_errno("lock %s", path);
	free(path);
	return fd;
}

/*** pulling ***/

static const char *string_at(json_t *obj, const char *key)
{
	const char *s = json.string_value(json.object_get(obj, key));

	return s ? s : "";
}

/* This machine's platform as OCI spells it: linux/amd64, linux/arm64, linux/arm/v7. */
static void host_platform(char *out, size_t size)
{
	static const char *const arch[][2] = {{"x86_64", "amd64"},  {"aarch64", "arm64"},
					      {"armv7l", "arm/v7"}, {"armv6l", "arm/v6"},
					      {"i686", "386"},	    {"ppc64le", "ppc64le"},
					      {"s390x", "s390x"},   {"riscv64", "riscv64"}};
	struct utsname u;

	uname(&u);
	snprintf(out, size, "linux/%.40s", u.machine);
	for (size_t i = 0; i < N_ELEMS(arch); i++)
		if (strcmp(u.machine, arch[i][0]) == 0)
			snprintf(out, size, "linux/%s", arch[i][1]);
}

/* The digest of the manifest for PLATFORM (os/arch[/variant]) in an image index. */
static int select_platform(json_t *index, const char *platform, const char *name, char *digest)
{
	json_t *list = json.object_get(index, "manifests");
	char seen[512] = "";

	for (size_t i = 0; i < json.array_size(list); i++) {
		json_t *m = json.array_get(list, i), *p = json.object_get(m, "platform");
		const char *variant = string_at(p, "variant");
		char *full = xasprintf("%s/%s%s%s", string_at(p, "os"),
				       string_at(p, "architecture"), *variant ? "/" : "", variant);
		bool match = strcmp(full, platform) == 0 ||
			     (strchr(platform + strcspn(platform, "/") + 1, '/') == NULL &&
			      strncmp(full, platform, strlen(platform)) == 0 &&
			      full[strlen(platform)] == '/');

		if (strlen(seen) + strlen(full) + 3 < sizeof(seen))
			sprintf(seen + strlen(seen), "%s%s", *seen ? ", " : "", full);
		free(full);
		if (match && digest_valid(string_at(m, "digest"))) {
			strcpy(digest, string_at(m, "digest"));
			return 0;
		}
	}
	return warn("%s: no image for %s in its index (it has: %s); choose one with --platform",
		    name, platform, *seen ? seen : "none");
}

/* Fetch a manifest; an index leads to the one for PLATFORM. Keeps it in the store. */
static json_t *pull_manifest(struct registry *r, const struct image_ref *ref, const char *platform,
			     char digest[72])
{
	const char *want = *ref->digest ? ref->digest : ref->tag;
	char type[128], *body, *path;
	json_t *root = NULL;
	size_t len;

	for (int hop = 0; hop < 2; hop++) {
		if (registry_manifest(r, want, ACCEPT_ALL, &body, &len, type, digest) < 0)
			return NULL;
		root = json.loads(body, 0, NULL);
		if (root && *string_at(root, "mediaType"))
			snprintf(type, sizeof(type), "%s", string_at(root, "mediaType"));
		if (!root || json.integer_value(json.object_get(root, "schemaVersion")) == 1) {
			warn("%s: %s", ref->name,
			     root
				 ? "a schema 1 manifest (Docker's format before 2017), which final "
				   "does not read: push the image again with a current docker or "
				   "skopeo"
				 : "the manifest is not JSON");
			goto fail;
		}
		if (hop == 0 && (strcmp(type, OCI_INDEX) == 0 || strcmp(type, DOCKER_LIST) == 0)) {
			static char chosen[72];

			if (select_platform(root, platform, ref->name, chosen) < 0)
				goto fail;
			want = chosen;
			json.delete(root);
			free(body);
			continue;
		}
		if (strcmp(type, OCI_MANIFEST) && strcmp(type, DOCKER_MANIFEST)) {
			warn("%s: unknown manifest media type '%s'", ref->name, type);
			goto fail;
		}
		break;
	}
	path = store_path("blobs", digest);
	if (replace_file(path, body) < 0) /* never a truncated manifest: a full disk leaves none */
		warn_errno("write %s", path), json.delete(root), root = NULL;
	free(path);
	free(body);
	return root;
fail:
	if (root)
		json.delete(root);
	free(body);
	return NULL;
}

static bool layer_type_known(const char *type)
{
	static const char *const known[] = {"application/vnd.oci.image.layer.v1.tar",
					    "application/vnd.oci.image.layer.v1.tar+gzip",
					    "application/vnd.oci.image.layer.v1.tar+zstd",
					    "application/vnd.docker.image.rootfs.diff.tar",
					    "application/vnd.docker.image.rootfs.diff.tar.gzip"};

	for (size_t i = 0; i < N_ELEMS(known); i++)
		if (strcmp(type, known[i]) == 0)
			return true;
	return false;
}

/* Fetch the blob DESC names (verified) into the store; with LAYER, unpack it and drop the blob. */
static int pull_blob(struct registry *r, json_t *desc, bool layer)
{
	const char *digest = string_at(desc, "digest"), *type = string_at(desc, "mediaType");
	json_t *size = json.object_get(desc, "size");
	char *blob, *dir, *what;
	int ret = 0;

	if (!digest_valid(digest))
		return warn("a descriptor with a bad digest '%s' (final reads sha256 only)",
			    digest);
	if (layer && !layer_type_known(type))
		return warn("layer %s: media type '%s' is not a layer final can unpack", digest,
			    type);
	blob = store_path("blobs", digest);
	dir = store_path("layers", digest);
	what = xasprintf("layer %.19s", digest);
	if (access(layer ? dir : blob, F_OK) == 0)
		goto out; /* stored before: by this image or another one */
	/* A layer's blob is kept (verified) when its unpacking failed: a full disk, say. */
	if (access(blob, F_OK) < 0 &&
	    registry_blob(r, digest, size ? json.integer_value(size) : -1, blob) < 0)
		ret = -1;
	else if (layer && (ret = unpack_once(blob, dir, true, what)) == 0)
		unlink(blob);
out:
	free(blob);
	free(dir);
	free(what);
	return ret;
}

static int pull_locked(const struct image_ref *ref, const char *platform, bool progress,
		       char digest[72])
{
	char *blobs = xasprintf("%s/blobs/sha256", data_root());
	char *layers_dir = xasprintf("%s/layers/sha256", data_root());
	struct registry *r = mkdir_p(blobs) < 0	       ? (warn_errno("mkdir %s", blobs), NULL)
			     : mkdir_p(layers_dir) < 0 ? (warn_errno("mkdir %s", layers_dir), NULL)
						       : registry_open(ref, progress);
	json_t *manifest = r ? pull_manifest(r, ref, platform, digest) : NULL;
	json_t *layers = json.object_get(manifest, "layers");
	int ret = manifest ? 0 : -1;

	if (ret == 0 && json.array_size(layers) == 0)
		ret = warn("%s: the manifest lists no layers", ref->name);
	if (ret == 0)
		ret = pull_blob(r, json.object_get(manifest, "config"), false);
	for (size_t i = 0; ret == 0 && i < json.array_size(layers); i++)
		ret = pull_blob(r, json.array_get(layers, i), true);
	if (ret == 0)
		ret = write_ref(ref->name, digest); /* last: now the image exists */
	if (manifest)
		json.delete(manifest);
	registry_close(r);
	free(blobs);
	free(layers_dir);
	return ret;
}

int image_pull(const char *name, const char *platform, bool progress, char digest[72])
{
	struct image_ref ref;
	char host[64];
	int lock, ret;

	if (reference_parse(name, &ref) < 0)
		return -1;
	if (!platform) {
		host_platform(host, sizeof(host));
		platform = host;
	}
	lock = store_lock();
	ret = lock < 0 ? -1 : pull_locked(&ref, platform, progress, digest);
	if (lock >= 0)
		close(lock);
	return ret;
}

/*** running an image ***/

#define ID_FILE_MAX (1 << 20) /* an /etc/passwd larger than this is not one */

/* A regular file FD (O_PATH, of SIZE bytes) read whole into a new string. */
static char *read_whole(int fd, off_t size)
{
	char proc[32], *buf = malloc(size + 1);
	ssize_t n = 0, total = 0;
	int in;

	/* Reopened for reading only now that fstat said "regular file": O_PATH opened nothing. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	in = open(proc, O_RDONLY | O_CLOEXEC);
	while (buf && in >= 0 && total < size && (n = read(in, buf + total, size - total)) > 0)
		total += n;
	if (in >= 0)
		close(in);
	if (!buf || in < 0 || n < 0)
		return free(buf), NULL;
	buf[total] = '\0';
	return buf;
}

/*
 * LAYER/FILE (etc/passwd, etc/group) into *OUT; 0 with *OUT NULL if this
 * layer lacks it. The layer is untrusted: FILE is resolved inside it, never
 * followed as a symlink (to the host's files), opened O_PATH first (which
 * opens no device, and waits on no FIFO) and read only if it is a regular
 * file of at most ID_FILE_MAX bytes. -1 (said why) otherwise.
 */
static int read_layer_file(const char *layer, const char *file, char **out)
{
	int dir = open(layer, O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -1, ret = -1;
	struct stat st;

	*out = NULL;
	if (dir >= 0)
		fd = open_in_root(dir, file, O_PATH | O_NOFOLLOW);
	if (dir >= 0 && fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		ret = 0;
	else if (fd < 0 || fstat(fd, &st) < 0)
		warn_errno("open %s/%s", layer, file);
	else if (S_ISCHR(st.st_mode) && st.st_rdev == 0) /* a whiteout: deleted here */
		ret = (*out = strdup("")) ? 0 : -1;
	else if (!S_ISREG(st.st_mode) || st.st_size > ID_FILE_MAX)
		warn("the image's /%s is %s: not used to look up its User", file,
		     S_ISLNK(st.st_mode)   ? "a symlink"
		     : S_ISREG(st.st_mode) ? "larger than 1 MiB"
					   : "not a regular file");
	else if ((*out = read_whole(fd, st.st_size)))
		ret = 0;
	else
		warn_errno("read %s/%s", layer, file);
	if (fd >= 0)
		close(fd);
	if (dir >= 0)
		close(dir);
	return ret;
}

/* NAME's line in BUF (an etc/passwd or etc/group): its third field, or with PRIMARY its fourth. */
static long find_id(const char *buf, const char *name, bool primary)
{
	size_t len = strlen(name);
	char line[1024];
	long ids[2];

	for (const char *p = buf, *end; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, '\n');
		snprintf(line, sizeof(line), "%.*s", (int)(end - p), p);
		if (strncmp(line, name, len) == 0 && line[len] == ':' &&
		    sscanf(line + len, ":%*[^:]:%ld:%ld", &ids[0], &ids[1]) >= 1 + primary)
			return ids[primary];
	}
	return -1;
}

/*
 * NAME's id (find_id) in FILE of the topmost layer of LOWER that has FILE,
 * in *ID (-1: not found). A number is its own id. -1 if FILE is hostile.
 */
static int lookup_id(const char *lower, const char *file, const char *name, bool primary, long *id)
{
	char *copy, *save, *end, *buf = NULL;
	int ret = 0;

	*id = strtol(name, &end, 10);
	if (*name && !*end)
		return 0;
	*id = -1;
	copy = strdup(lower);
	for (char *dir = strtok_r(copy, ":", &save); dir && !buf && ret == 0;
	     dir = strtok_r(NULL, ":", &save))
		ret = read_layer_file(dir, file, &buf);
	if (buf)
		*id = find_id(buf, name, primary);
	free(buf);
	free(copy);
	return ret;
}

/* The image's User: UID, NAME, UID:GID or NAME:GROUP (a number alone: GID = UID). */
static int apply_user(struct config *cfg, const char *user, const char *lower)
{
	char *u = strdupa(user), *g = strchr(u, ':');
	long uid, gid;

	if (g)
		*g++ = '\0';
	if (lookup_id(lower, "etc/passwd", u, false, &uid) < 0 ||
	    (g ? lookup_id(lower, "etc/group", g, false, &gid)
	       : lookup_id(lower, "etc/passwd", u, true, &gid)) < 0)
		return -1;
	if (uid < 0 || gid < 0)
		return warn("the image's user '%s' is not in its /etc/passwd or /etc/group", user);
	cfg->process.uid = uid;
	cfg->process.gid = gid;
	return 0;
}

static int count(json_t *array)
{
	return (int)json.array_size(array);
}

/* Entrypoint + (CMD from the command line, or the image's Cmd), as docker combines them. */
static int apply_command(struct config *cfg, json_t *conf, const char *name)
{
	json_t *entry = json.object_get(conf, "Entrypoint"), *cmd = json.object_get(conf, "Cmd");
	int n = 0, nargs = 0, nentry, ncmd;
	char **argv;

	while (cfg->process.args[nargs])
		nargs++;
	nentry = cfg->process.entrypoint ? !!*cfg->process.entrypoint : count(entry);
	ncmd = nargs ? nargs : cfg->process.entrypoint ? 0 : count(cmd);
	argv = calloc(nentry + ncmd + 1, sizeof(*argv));
	for (int i = 0; i < nentry; i++)
		argv[n++] = cfg->process.entrypoint
				? (char *)cfg->process.entrypoint
				: strdup(json.string_value(json.array_get(entry, i)) ?: "");
	for (int i = 0; i < ncmd; i++)
		argv[n++] = nargs ? cfg->process.args[i]
				  : strdup(json.string_value(json.array_get(cmd, i)) ?: "");
	if (n == 0)
		return warn("%s has no Entrypoint nor Cmd: give a command", name);
	cfg->process.args = argv;
	return 0;
}

/* The image config's defaults, under what the command line says. */
static int apply_image_config(struct config *cfg, json_t *image, const char *lower,
			      const char *name)
{
	json_t *conf = json.object_get(image, "config"), *env = json.object_get(conf, "Env");
	int n = count(env);

	if (n + cfg->process.nenv > MAX_ENV)
		return warn("%s: too many environment variables", name);
	memmove(&cfg->process.env[n], cfg->process.env, cfg->process.nenv * sizeof(char *));
	for (int i = 0; i < n; i++) /* the image's first, so -e overrides them */
		cfg->process.env[i] = strdup(json.string_value(json.array_get(env, i)) ?: "");
	cfg->process.nenv += n;
	if (!cfg->process.cwd && *string_at(conf, "WorkingDir"))
		cfg->process.cwd = strdup(string_at(conf, "WorkingDir"));
	if (!cfg->process.user_set && *string_at(conf, "User") &&
	    apply_user(cfg, string_at(conf, "User"), lower) < 0)
		return -1;
	return apply_command(cfg, conf, name);
}

/* The overlay's lower directories, topmost first: the layers of MANIFEST, last first. */
static int layer_dirs(json_t *manifest, char *lower, size_t size)
{
	json_t *layers = json.object_get(manifest, "layers");
	size_t len = 0;

	*lower = '\0';
	for (int i = count(layers) - 1; i >= 0; i--) {
		const char *digest = string_at(json.array_get(layers, i), "digest");
		char *dir = digest_valid(digest) ? store_path("layers", digest) : NULL;

		if (!dir || access(dir, F_OK) < 0)
			return free(dir),
			       warn("layer %s is missing from the store: pull again", digest);
		len +=
		    snprintf(lower + len, len < size ? size - len : 0, "%s%s", len ? ":" : "", dir);
		free(dir);
	}
	return len < size ? 0 : warn("too many layers for one overlay mount");
}

static int resolve_image(struct config *cfg, char *lower, size_t size)
{
	struct image_ref ref;
	char digest[72];
	json_t *manifest = NULL, *image = NULL;
	int ret = -1;

	if (reference_parse(cfg->image, &ref) < 0 || dl_json() < 0)
		return -1;
	if (read_ref(ref.name, digest) < 0) {
		fprintf(stderr, "final: no directory or tarball '%s' here: pulling the image %s\n",
			cfg->image, ref.name);
		if (image_pull(ref.name, cfg->platform, isatty(STDERR_FILENO), digest) < 0)
			return -1;
	}
	cfg->image = strdup(ref.name);
	if ((manifest = load_blob(digest)) &&
	    (image = load_blob(string_at(json.object_get(manifest, "config"), "digest"))) &&
	    layer_dirs(manifest, lower, size) == 0)
		ret = apply_image_config(cfg, image, lower, ref.name);
	if (manifest)
		json.delete(manifest);
	if (image)
		json.delete(image);
	return ret;
}

int image_resolve(struct config *cfg, char *lower, size_t size)
{
	char *real = realpath(cfg->image, NULL);
	struct stat st;
	int ret = 0;

	if (!real && strchr("./", cfg->image[0]))
		return warn_errno("rootfs %s", cfg->image);
	if (!real) /* not a path: an image name */
		return resolve_image(cfg, lower, size);
	if (stat(real, &st) < 0)
		ret = warn_errno("rootfs %s", cfg->image);
	else if (!cfg->process.args[0])
		ret = warn("rootfs %s: a directory or tarball needs a command to run", cfg->image);
	else if (strpbrk(real, ",:"))
		ret = warn("rootfs %s: overlayfs cannot use a path with ',' or ':'", real);
	else if (S_ISDIR(st.st_mode))
		snprintf(lower, size, "%s", real);
	else if (!S_ISREG(st.st_mode) || !is_tarball(real))
		ret =
		    warn("rootfs %s: not a directory nor a .tar, .tar.gz or .tgz file", cfg->image);
	else
		ret = resolve_tarball(real, &st, lower, size);
	free(real);
	return ret;
}

/*** images, rmi ***/

static void each_ref(void (*fn)(const char *name, const char *digest, void *arg), void *arg)
{
	char *dir = xasprintf("%s/refs", data_root()), digest[72];
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char *name = strdup(names[i]->d_name);

		for (char *p = name; *p; p++)
			if (*p == '+')
				*p = '/';
		if (names[i]->d_name[0] != '.' && !strstr(name, ".tmp") &&
		    read_ref(name, digest) == 0)
			fn(name, digest, arg);
		free(name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	free(dir);
}

static void print_image(const char *name, const char *digest, void *arg)
{
	json_t *manifest = load_blob(digest), *layers = json.object_get(manifest, "layers");
	long long size = 0;

	(void)arg;
	for (int i = 0; i < count(layers); i++)
		size += json.integer_value(json.object_get(json.array_get(layers, i), "size"));
	printf("%-50s %.19s  %6d  %8.1f MB\n", name, digest, count(layers), size / 1e6);
	if (manifest)
		json.delete(manifest);
}

int image_list(void)
{
	if (dl_json() < 0)
		return 1;
	printf("%-50s %-19s  %6s  %11s\n", "IMAGE", "MANIFEST", "LAYERS", "SIZE");
	each_ref(print_image, NULL);
	return 0;
}

/* The blob and layer names (HEX) an image uses, appended to a '\n'-separated list. */
static void mark_used(const char *name, const char *digest, void *arg)
{
	char **used = arg, *old = *used;
	json_t *manifest = load_blob(digest), *layers = json.object_get(manifest, "layers");

	(void)name;
	*used = xasprintf("%s%s\n%s\n", old, digest + 7,
			  string_at(json.object_get(manifest, "config"), "digest") + 7);
	free(old);
	for (int i = 0; i < count(layers); i++) {
		old = *used;
		*used =
		    xasprintf("%s%s\n", old, string_at(json.array_get(layers, i), "digest") + 7);
		free(old);
	}
	if (manifest)
		json.delete(manifest);
}

/* blobs/ and layers/ against the images that use them (and those containers use). */
struct store_walk {
	char *used;   /* "\nHEX\n..." of every image's manifest, config and layers */
	char *active; /* the same for the images a container uses */
	bool (*in_use)(const char *name, void *arg);
	void *arg;
	struct store_usage *usage; /* images and active images counted here, if not NULL */
};

enum stored { LEFTOVER, UNUSED, USED, ACTIVE };

static void mark_usage(const char *name, const char *digest, void *arg)
{
	struct store_walk *w = arg;
	bool active = w->in_use && w->in_use(name, w->arg);

	mark_used(name, digest, &w->used);
	if (active)
		mark_used(name, digest, &w->active);
	if (w->usage) {
		w->usage->images++;
		w->usage->images_active += active;
	}
}

/*
 * FN(PATH, WHAT, ARG) for every entry of blobs/ and layers/: a LEFTOVER of
 * a failed or killed pull (HEX.partial, HEX.tmp.PID: a '.' in its name), a
 * blob or layer no image uses, one an image uses, one a container's uses.
 */
static void each_stored(struct store_walk *w, void (*fn)(const char *, enum stored, void *),
			void *arg)
{
	const char *kinds[] = {"blobs", "layers"};

	w->used = strdup("\n");
	w->active = strdup("\n");
	each_ref(mark_usage, w);
	for (size_t k = 0; k < N_ELEMS(kinds); k++) {
		char *dir = xasprintf("%s/%s/sha256", data_root(), kinds[k]);
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			/* HEX@UID-GID, a copy for --userns=remap (userns.c): kept as long as HEX */
			char *key = xasprintf("\n%.*s\n", (int)strcspn(e->d_name, "@"), e->d_name);
			char *path;

			path = xasprintf("%s/%s", dir, e->d_name);
			if (e->d_name[0] != '.')
				fn(path,
				   strchr(e->d_name, '.')   ? LEFTOVER
				   : !strstr(w->used, key)  ? UNUSED
				   : strstr(w->active, key) ? ACTIVE
							    : USED,
				   arg);
			free(path);
			free(key);
		}
		if (d)
			closedir(d);
		free(dir);
	}
	free(w->used);
	free(w->active);
}

static void remove_garbage(const char *path, enum stored what, void *arg)
{
	long long *freed = arg;

	if (what == LEFTOVER || what == UNUSED) {
		*freed += disk_usage(path);
		remove_tree(path);
	}
}

/*
 * Remove what no image uses from blobs/ and layers/, and what failed or
 * killed pulls left there: under the store lock no pull is in progress, so
 * no leftover is wanted. The bytes freed.
 */
static long long collect_garbage(void)
{
	struct store_walk w = {0};
	long long freed = 0;

	each_stored(&w, remove_garbage, &freed);
	return freed;
}

static void add_usage(const char *path, enum stored what, void *arg)
{
	struct store_usage *u = arg;
	long long size = disk_usage(path);

	if (what == LEFTOVER) {
		u->leftovers++;
		u->leftovers_size += size;
	} else if (what == UNUSED) {
		u->unused++;
		u->unused_size += size;
	} else {
		u->images_size += size;
		u->images_reclaimable += what == USED ? size : 0;
	}
}

int image_usage(struct store_usage *u, bool (*in_use)(const char *name, void *arg), void *arg)
{
	struct store_walk w = {.in_use = in_use, .arg = arg, .usage = u};

	if (dl_json() < 0)
		return -1;
	*u = (struct store_usage){0};
	each_stored(&w, add_usage, u);
	return 0;
}

long long image_prune(void)
{
	int lock;
	long long freed;

	if (dl_json() < 0 || (lock = store_lock()) < 0)
		return -1;
	freed = collect_garbage();
	close(lock);
	return freed;
}

void *image_inspect(const char *name)
{
	struct image_ref ref;
	char digest[72];
	json_t *manifest, *image = NULL;

	if (reference_parse(name, &ref) < 0 || read_ref(ref.name, digest) < 0 ||
	    !(manifest = load_blob(digest)))
		return NULL;
	image = load_blob(string_at(json.object_get(manifest, "config"), "digest"));
	if (image) {
		json.object_set_new(
		    image, "Id",
		    json.string(string_at(json.object_get(manifest, "config"), "digest")));
		json.object_set_new(image, "RepoTags", json.pack("[s]", ref.name));
		json.object_set_new(image, "ManifestDigest", json.string(digest));
	}
	json.delete(manifest);
	return image;
}

int image_name(const char *name, char *out, size_t size)
{
	struct image_ref ref;

	if (reference_parse(name, &ref) < 0)
		return -1;
	snprintf(out, size, "%s", ref.name);
	return 0;
}

int image_remove(const char *name)
{
	struct image_ref ref;
	char digest[72], *path;
	int lock, ret = 0;

	if (reference_parse(name, &ref) < 0 || dl_json() < 0)
		return -1;
	if (read_ref(ref.name, digest) < 0)
		return warn("no image %s here (final images lists them)", ref.name);
	lock = store_lock();
	path = ref_path(ref.name);
	if (lock < 0 || unlink(path) < 0)
		ret = warn_errno("remove %s", path);
	else
		collect_garbage(), printf("removed %s\n", ref.name);
	if (lock >= 0)
		close(lock);
	free(path);
	return ret;
}
