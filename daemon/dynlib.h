/* dynlib.h: libraries opened when first needed, not when convened starts.
 *
 * Each library a process starts with costs it a few milliseconds on every
 * run (mapping, relocation, constructors), and libical, GMime, libgit2 and
 * libsystemd bring some twenty-five with them.  Most runs never need them:
 * an idle `once` computes no calendar, reads no message and writes no
 * history, and only `run` talks to systemd.  So the one file that uses
 * each (ical.c, mime.c, repo.c, loop.c) calls it through a table of its
 * functions, filled from dlopen() the first time one is called; systemd
 * does the same with its optional libraries.
 *
 * A table is a union of a struct of typed pointers (__typeof__ of the
 * library's own declarations, so every call keeps its prototype) and an
 * array of dynlib_fn the loader fills in the struct's order.  A library
 * that cannot be opened, or lacks a function, is a broken installation:
 * dynlib_need() exits, as the dynamic loader did at start.  `run` and
 * `check` open them all first (dynlib_check()), so a daemon with a broken
 * installation fails when it starts, not hours later. */
#ifndef CONVENED_DYNLIB_H
#define CONVENED_DYNLIB_H

#include <stddef.h>

typedef void (*dynlib_fn)(void);

struct dynlib {
	const char        *soname;     /* as linking would have named it */
	const char *const *names;      /* the functions, in the table's order */
	size_t             n;
	dynlib_fn         *slots;      /* the table, n entries */
	int                loaded;
};

/* Fills d->slots from d->soname; 0, or -1 with *err (caller frees). */
int  dynlib_load(struct dynlib *, char **err);
/* The same, exiting on failure with the reason. */
void dynlib_need(struct dynlib *);

/* Each library that is opened on first use: 0, or -1 with *err naming the
 * first that cannot be (caller frees). */
int  dynlib_check(char **err);

/* A table VAR for the library LIB (a struct dynlib, defined here) of the
 * functions FNS(X) names, X(f) each, and VAR_fns(), which opens the
 * library the first time and returns the table's struct. */
#define DYNLIB_PTR_(f) __typeof__(f) *f;
#define DYNLIB_ONE_(f) +1
#define DYNLIB_NAME_(f) #f,
#define DYNLIB_TABLE(var, lib, soname, FNS)				\
	static union {							\
		struct { FNS(DYNLIB_PTR_) } f;				\
		dynlib_fn slot[0 FNS(DYNLIB_ONE_)];			\
	} var;								\
	_Static_assert(sizeof var.f == sizeof var.slot,			\
	    "a function pointer is a function pointer");		\
	static const char *const var##_names[] = { FNS(DYNLIB_NAME_) };	\
	struct dynlib lib = { soname, var##_names,			\
	    sizeof var##_names / sizeof var##_names[0], var.slot, 0 };	\
	static inline const __typeof__(var.f) *				\
	var##_fns(void)							\
	{								\
		if (!lib.loaded)					\
			dynlib_need(&lib);				\
		return &var.f;						\
	}

/* The tables' libraries (ical.c, mime.c, repo.c, loop.c). */
extern struct dynlib dynlib_ical, dynlib_gmime, dynlib_git2, dynlib_systemd;

#endif
