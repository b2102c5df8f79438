/* dynlib.c: libraries opened when first needed (see dynlib.h). */
#include <dlfcn.h>
#include <string.h>

#include "dynlib.h"
#include "log.h"
#include "util.h"

int
dynlib_load(struct dynlib *d, char **err)
{
	void *h, *sym;
	size_t i;

	if (d->loaded)
		return 0;
	/* RTLD_LOCAL: the library's names stay out of the global scope, so
	 * nothing loaded later binds to them by accident. */
	h = dlopen(d->soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		*err = xasprintf("cannot load %s: %s", d->soname, dlerror());
		return -1;
	}
	for (i = 0; i < d->n; i++) {
		sym = dlsym(h, d->names[i]);
		if (sym == NULL) {
			*err = xasprintf("cannot find %s in %s", d->names[i],
			    d->soname);
			/* The handle stays open: a library half bound is
			 * never used, and closing it could run destructors
			 * of state nobody set up. */
			return -1;
		}
		/* POSIX guarantees a function's address survives the round
		 * trip through void *; memcpy says so without a cast the
		 * C standard does not define. */
		memcpy(&d->slots[i], &sym, sizeof sym);
	}
	d->loaded = 1;
	return 0;
}

void
dynlib_need(struct dynlib *d)
{
	char *err = NULL;

	if (dynlib_load(d, &err) == -1)
		fatalx("%s; the installation is broken", err);
}

int
dynlib_check(char **err)
{
	struct dynlib *all[] = { &dynlib_ical, &dynlib_gmime, &dynlib_git2,
	    &dynlib_systemd };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (dynlib_load(all[i], err) == -1)
			return -1;
	return 0;
}
