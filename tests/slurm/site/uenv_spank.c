/* The lab's stand-in for CSCS's uenv and Container Engine SPANK options on
 * Alps (see docs/development/site-emulation.md):
 *
 *   --uenv=NAME[:MOUNT]   a user environment (squashfs image) mounted for the
 *                         job; NAME must be in the lab's uenv repository
 *                         (ROOT/uenv/<NAME with / as _>), or the task fails
 *                         as on Alps ("uenv ... not found");
 *   --view=NAME           the view's PATH first (ROOT/uenv/<..>/env/NAME/bin);
 *   --environment=EDF     the Container Engine: the task runs "in the image"
 *                         the EDF (TOML) names: PATH from the image, the
 *                         EDF's mounts are the only project paths it sees.
 *
 * In the lab nothing is mounted: the plugin sets, in each task (batch script
 * and srun tasks alike, as the real plugins act on every step), the
 * variables the lab's Pythons read: LAB_CONTEXT (which software the task is
 * in: uenv:NAME or image:NAME), LAB_BINDS (project paths visible in a
 * container) and PATH. Configured in plugstack.conf as
 *   required /path/uenv_lab.so root=LAB/sw/SITE
 * Built by tests/slurm/lab.sh against Debian's libslurm-dev (slurm/spank.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <slurm/spank.h>

SPANK_PLUGIN(uenv_lab, 1);

static char root[4096];
static char uenv[1024];
static char view[256];
static char edf[4096];

static int take(int val, const char *optarg, int remote)
{
    (void)remote;
    if (!optarg) return -1;
    switch (val) {
    case 1: snprintf(uenv, sizeof uenv, "%s", optarg); break;
    case 2: snprintf(view, sizeof view, "%s", optarg); break;
    case 3: snprintf(edf, sizeof edf, "%s", optarg); break;
    default: return -1;
    }
    return 0;
}

/* Registered in slurm_spank_init (sbatch takes only registered options). */
static struct spank_option options[] = {
    {"uenv", "NAME[:MOUNT]", "user environment to mount (lab stand-in)", 1, 1, take},
    {"view", "NAME", "uenv view to load (lab stand-in)", 1, 2, take},
    {"environment", "EDF", "Container Engine environment (lab stand-in)", 1, 3, take},
    SPANK_OPTIONS_TABLE_END};

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    for (int i = 0; i < ac; i++)
        if (strncmp(av[i], "root=", 5) == 0) snprintf(root, sizeof root, "%s", av[i] + 5);
    for (struct spank_option *o = options; o->name; o++)
        if (spank_option_register(sp, o) != ESPANK_SUCCESS) return -1;
    return 0;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* "pytorch/v2.8.0:/user-environment" -> "pytorch_v2.8.0" */
static void uenv_dir(char *out, size_t n, const char *spec)
{
    char name[1024];
    snprintf(name, sizeof name, "%s", spec);
    char *colon = strchr(name, ':');
    if (colon) *colon = '\0';
    for (char *c = name; *c; c++)
        if (*c == '/') *c = '_';
    snprintf(out, n, "%s/uenv/%s", root, name);
}

static void prepend_path(spank_t sp, const char *dir)
{
    char old[8192] = "", val[12288];
    spank_getenv(sp, "PATH", old, sizeof old);
    snprintf(val, sizeof val, "%s%s%s", dir, old[0] ? ":" : "", old);
    spank_setenv(sp, "PATH", val, 1);
}

/* The value of `key = "..."` in a TOML file (top level), or "". */
static void toml_string(const char *file, const char *key, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(file, "r");
    if (!f) return;
    char line[4096];
    size_t k = strlen(key);
    while (fgets(line, sizeof line, f)) {
        char *p = line;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '[') break; /* a table: top-level keys end */
        if (strncmp(p, key, k) != 0) continue;
        p += k;
        while (isspace((unsigned char)*p)) p++;
        if (*p != '=') continue;
        p++;
        while (isspace((unsigned char)*p)) p++;
        if (*p == '"') {
            p++;
            char *end = strchr(p, '"');
            if (end) *end = '\0';
        } else {
            p[strcspn(p, "\r\n")] = '\0';
        }
        snprintf(out, n, "%s", p);
        break;
    }
    fclose(f);
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
    (void)ac;
    (void)av;
    if (!spank_remote(sp)) return 0;
    if (uenv[0]) {
        char dir[4096];
        uenv_dir(dir, sizeof dir, uenv);
        if (!is_dir(dir)) {
            slurm_error("uenv: %s not found in the repository (lab: %s)", uenv, dir);
            return -1;
        }
        char name[1024];
        snprintf(name, sizeof name, "%s", uenv);
        char *colon = strchr(name, ':');
        if (colon) *colon = '\0';
        char ctx[1100];
        snprintf(ctx, sizeof ctx, "uenv:%s", name);
        spank_setenv(sp, "LAB_CONTEXT", ctx, 1);
        spank_setenv(sp, "UENV_MOUNT_LIST", uenv, 1);
        if (view[0]) {
            char bin[4400];
            snprintf(bin, sizeof bin, "%s/env/%s/bin", dir, view);
            if (!is_dir(bin)) {
                slurm_error("uenv: %s has no view %s", uenv, view);
                return -1;
            }
            /* Once: a step inherits the batch script's PATH, which has
             * the view already, and perhaps a venv's bin before it. */
            char path[8192] = "";
            spank_getenv(sp, "PATH", path, sizeof path);
            if (!strstr(path, bin)) prepend_path(sp, bin);
            spank_setenv(sp, "UENV_VIEW", view, 1);
        }
    } else if (view[0]) {
        slurm_error("uenv: --view=%s without --uenv", view);
        return -1;
    }
    if (edf[0]) {
        char file[4200], image[1024], mounts[4096], bin[8192], ctx[1100];
        if (strchr(edf, '/'))
            snprintf(file, sizeof file, "%s", edf);
        else {
            char home[2048] = "";
            spank_getenv(sp, "HOME", home, sizeof home);
            snprintf(file, sizeof file, "%s/.edf/%s.toml", home, edf);
        }
        toml_string(file, "image", image, sizeof image);
        if (!image[0]) {
            slurm_error("environment: cannot read an image from %s", file);
            return -1;
        }
        /* registry references and paths alike: the lab image is named by
         * the reference's last component, without tag separators */
        const char *base = strrchr(image, '/');
        base = base ? base + 1 : image;
        snprintf(bin, sizeof bin, "%s/ce-images/%s/bin", root, base);
        for (char *c = bin + strlen(root) + 11; *c; c++)
            if (*c == ':' || *c == '#') *c = '_';
        if (!is_dir(bin)) {
            slurm_error("environment: image %s not found (lab: %s)", image, bin);
            return -1;
        }
        /* mounts = ["/src:/dst", ...] on one line: the visible paths */
        toml_string(file, "mounts", mounts, sizeof mounts);
        char binds[4096] = "";
        for (char *tok = strtok(mounts, "[],\" "); tok; tok = strtok(NULL, "[],\" ")) {
            char *colon = strchr(tok, ':');
            const char *dst = colon ? colon + 1 : tok;
            size_t len = strlen(binds);
            snprintf(binds + len, sizeof binds - len, "%s%s", len ? ":" : "", dst);
        }
        char path[8300];
        snprintf(path, sizeof path, "%s:/usr/bin:/bin", bin);
        spank_setenv(sp, "PATH", path, 1);
        snprintf(ctx, sizeof ctx, "image:%s", bin + strlen(root) + 11);
        ctx[strlen(ctx) - 4] = '\0'; /* without "/bin" */
        spank_setenv(sp, "LAB_CONTEXT", ctx, 1);
        spank_setenv(sp, "LAB_BINDS", binds, 1);
    }
    return 0;
}
