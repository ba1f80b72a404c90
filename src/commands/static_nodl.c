/* Linked into the static kvmexitstat only (make static), which is linked
 * with -Wl,--wrap for these four. SQLite can load extensions with dlopen,
 * which the record store never does; glibc's static dlopen cannot work in a
 * static binary and warns at link time, so SQLite's calls come here. */
#include <stddef.h>

void *__wrap_dlopen(const char *file, int mode);
void *__wrap_dlsym(void *handle, const char *name);
int __wrap_dlclose(void *handle);
char *__wrap_dlerror(void);

void *__wrap_dlopen(const char *file, int mode)
{
	(void)file;
	(void)mode;
	return NULL;
}

void *__wrap_dlsym(void *handle, const char *name)
{
	(void)handle;
	(void)name;
	return NULL;
}

int __wrap_dlclose(void *handle)
{
	(void)handle;
	return 0;
}

char *__wrap_dlerror(void)
{
	return (char *)"kvmexitstat is linked statically: no dynamic loading";
}
