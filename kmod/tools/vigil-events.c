// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-events.c - prints the event table of vigil_events.h for the host
 * side: every copy of event knowledge outside the module (the daemon's
 * role table, the test trace writers, the checks of the docs) is made
 * from this program's output, so an event is still described once.
 *
 *   vigil-events tsv       the description, tab-separated (below)
 *   vigil-events c-header  the daemon's role table (vg_events_gen.h)
 *   vigil-events c-tsdl    for the C tests (vg_events_tsdl.h): the TSDL
 *                          event blocks of every event as the module
 *                          writes them, and VG_EVID_<cname> ids; and
 *                          each event's field lines (VG_EVFIELDS_<cname>)
 *
 * TSV, one record per line, in table order (an event's id is its
 * position among the "event" lines, as in the module):
 *   event  ID  CNAME  SUBSYS:NAME  KIND
 *   field  SUBSYS:NAME  TSDLTYPE  FIELD  LENGTH  EXTRA
 *          LENGTH: N of a TYPE FIELD[N] field, else 0; EXTRA: "+" if the
 *          kernel's own format lacks the field, else "-"; TSDLTYPE is
 *          "string" for string fields
 *   role   SUBSYS:NAME  ROLE  ENABLE
 * Every value is a C identifier, a number, a type name or "+"/"-", so
 * nothing needs escaping; the program fails if one is not.
 *
 * The header is included with its macros defined to calls of the
 * functions below.  Only the macro arguments that are used get expanded,
 * so the kernel expressions of probes, prototypes and locals are never
 * compiled here.  VIGIL_EVENT takes its columns after the kind as
 * "...": each column is recognized by its wrapper macro (VG_FIELDS(...)
 * and the others), so a new column needs one more wrapper definition
 * here and nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVENTS	256
#define MAX_FIELDS	32

struct field {
	const char *type;	/* TSDL type alias or "string" */
	const char *name;
	const char *length;	/* "0" unless an array */
	int extra;
};

struct event {
	const char *cname, *subsys, *name, *kind;
	char full[128];
	struct field fields[MAX_FIELDS];
	int n_fields;
	const char *role, *enable;
};

static struct event events[MAX_EVENTS];
static int n_events;

static void die(const char *what, const char *ev, const char *detail)
{
	fprintf(stderr, "vigil-events: vigil_events.h: event %s: %s%s%s\n",
		ev, what, detail ? ": " : "", detail ? detail : "");
	exit(1);
}

static struct event *event_by_cname(const char *cname)
{
	int i;

	for (i = 0; i < n_events; i++)
		if (strcmp(events[i].cname, cname) == 0)
			return &events[i];
	die("no such event (VIGIL_EVENT_ROLE/VIGIL_EVENT_EXTRA)", cname, NULL);
	return NULL;
}

static void ev_begin(const char *cname, const char *subsys, const char *name,
		     const char *kind)
{
	struct event *e;

	if (n_events == MAX_EVENTS)
		die("too many events", cname, NULL);
	e = &events[n_events++];
	e->cname = cname;
	e->subsys = subsys;
	e->name = name;
	e->kind = kind;
	snprintf(e->full, sizeof(e->full), "%s:%s", subsys, name);
}

/* A column this program does not read (about, prototype, locals,
 * prep). */
static int ev_column(void)
{
	return 0;
}

static int ev_field(const char *type, const char *name, const char *length)
{
	struct event *e = &events[n_events - 1];

	if (e->n_fields == MAX_FIELDS)
		die("too many fields", e->full, name);
	e->fields[e->n_fields].type = type;
	e->fields[e->n_fields].name = name;
	e->fields[e->n_fields].length = length;
	e->n_fields++;
	return 0;
}

static void ev_role(const char *cname, const char *role, const char *enable)
{
	struct event *e = event_by_cname(cname);

	if (e->role)
		die("two roles", e->full, role);
	e->role = role;
	e->enable = enable;
}

/* names: the stringified field list "a, b, c" */
static void ev_extra(const char *cname, const char *names)
{
	struct event *e = event_by_cname(cname);
	char *list = strdup(names), *save = NULL, *tok;
	int i;

	if (!list)
		exit(1);
	for (tok = strtok_r(list, ", \t\n", &save); tok;
	     tok = strtok_r(NULL, ", \t\n", &save)) {
		for (i = 0; i < e->n_fields; i++)
			if (strcmp(e->fields[i].name, tok) == 0)
				break;
		if (i == e->n_fields)
			die("VIGIL_EVENT_EXTRA names no field of the event",
			    e->full, tok);
		e->fields[i].extra = 1;
	}
	free(list);
}

#define VG_ABOUT(...)	ev_column()
#define VG_PROTO(...)	ev_column()
#define VG_LOCALS(...)	ev_column()
#define VG_PREP(...)	ev_column()
#define VG_FIELDS(...)	(ev_column() __VA_ARGS__)
#define VF_INT(ctype, tsdltype, field, expr) \
	, ev_field(#tsdltype, #field, "0")
#define VF_HEX(field, expr)	, ev_field("uint64_hex_t", #field, "0")
#define VF_KADDR(field, expr)	, ev_field("uint64_hex_t", #field, "0")
#define VF_ARRAY(ctype, tsdltype, field, n, src) \
	, ev_field(#tsdltype, #field, #n)
#define VF_CHARS(field, n, src)	, ev_field("char_t", #field, #n)
#define VF_STRING(field, src)	, ev_field("string", #field, "0")
#define VF_STRLEN(field, src, len)	, ev_field("string", #field, "0")
#define VIGIL_EVENT(cname, subsys, name, kind, ...)			\
	do {								\
		ev_begin(#cname, subsys, name, #kind);			\
		(void)(__VA_ARGS__);					\
	} while (0);
#define VIGIL_EVENT_ROLE(cname, role, enable) \
	ev_role(#cname, #role, #enable);
#define VIGIL_EVENT_EXTRA(cname, ...)	ev_extra(#cname, #__VA_ARGS__);

static void read_table(void)
{
#include "vigil_events.h"
}

/* Every value printed is made of these characters (no escaping). */
static void check_word(const struct event *e, const char *s)
{
	const char *p;

	if (!*s)
		die("empty name or type", e->full, NULL);
	for (p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_:", *p))
			die("character outside [A-Za-z0-9_:]", e->full, s);
}

static void print_tsv(void)
{
	int i, j;

	for (i = 0; i < n_events; i++) {
		const struct event *e = &events[i];

		check_word(e, e->cname);
		check_word(e, e->full);
		check_word(e, e->kind);
		printf("event\t%d\t%s\t%s\t%s\n", i, e->cname, e->full, e->kind);
		for (j = 0; j < e->n_fields; j++) {
			const struct field *f = &e->fields[j];

			check_word(e, f->type);
			check_word(e, f->name);
			check_word(e, f->length);
			printf("field\t%s\t%s\t%s\t%s\t%s\n", e->full, f->type,
			       f->name, f->length, f->extra ? "+" : "-");
		}
	}
	for (i = 0; i < n_events; i++) {
		const struct event *e = &events[i];

		if (!e->role)
			continue;
		check_word(e, e->role);
		check_word(e, e->enable);
		printf("role\t%s\t%s\t%s\n", e->full, e->role, e->enable);
	}
}

static void print_c_header(void)
{
	int i;

	printf("/*\n"
	       " * vg_events_gen.h - GENERATED by kmod/tools/vigil-events from\n"
	       " * kmod/vigil_events.h (its VIGIL_EVENT_ROLE lines); do not edit.\n"
	       " *\n"
	       " * The events the daemon itself reads, by role:\n"
	       " *   VG_EV_<ROLE>      the event's name\n"
	       " *   VG_ROLE_<ROLE>    the role's number (VG_ROLE_NONE is 0)\n"
	       " *   VG_EVENT_ROLES(X) X(ROLE, name, always) for each of them;\n"
	       " *                     always: vigild enables the event whenever\n"
	       " *                     handlers run (the task table lives on it)\n"
	       " */\n"
	       "#ifndef VG_EVENTS_GEN_H\n#define VG_EVENTS_GEN_H\n\n");
	for (i = 0; i < n_events; i++)
		if (events[i].role)
			printf("#define VG_EV_%s \"%s\"\n", events[i].role,
			       events[i].full);
	printf("\nenum {\n\tVG_ROLE_NONE,\n");
	for (i = 0; i < n_events; i++)
		if (events[i].role)
			printf("\tVG_ROLE_%s,\n", events[i].role);
	printf("\tVG_N_ROLES\n};\n\n#define VG_EVENT_ROLES(X) \\\n");
	for (i = 0; i < n_events; i++) {
		const struct event *e = &events[i];

		if (!e->role)
			continue;
		if (strcmp(e->enable, "ALWAYS") && strcmp(e->enable, "ASKED"))
			die("VIGIL_EVENT_ROLE: enable is neither ALWAYS nor ASKED",
			    e->full, e->enable);
		printf("\tX(%s, VG_EV_%s, %d) \\\n", e->role, e->role,
		       strcmp(e->enable, "ALWAYS") == 0);
	}
	printf("\n\n#endif\n");
}

static void print_c_tsdl(void)
{
	int i, j;

	printf("/*\n"
	       " * vg_events_tsdl.h - GENERATED by kmod/tools/vigil-events from\n"
	       " * kmod/vigil_events.h; do not edit.  For the C tests: the\n"
	       " * metadata event blocks of every built-in event as vigil.ko\n"
	       " * writes them (VG_EVENTS_TSDL) and their ids (VG_EVID_<cname>).\n"
	       " */\n"
	       "#ifndef VG_EVENTS_TSDL_H\n#define VG_EVENTS_TSDL_H\n\n"
	       "enum {\n");
	for (i = 0; i < n_events; i++)
		printf("\tVG_EVID_%s = %d,\n", events[i].cname, i);
	printf("\tVG_N_EVENTS = %d\n};\n\n#define VG_EVENTS_TSDL \\\n", n_events);
	for (i = 0; i < n_events; i++) {
		const struct event *e = &events[i];

		/* only identifiers and numbers go into the C string */
		check_word(e, e->full);
		printf("\t\"event {\\n\\tname = \\\"%s\\\";\\n\\tid = %d;\\n"
		       "\\tstream_id = 0;\\n\\tfields := struct {\\n\" \\\n",
		       e->full, i);
		for (j = 0; j < e->n_fields; j++) {
			const struct field *f = &e->fields[j];

			check_word(e, f->type);
			check_word(e, f->name);
			check_word(e, f->length);
			if (strcmp(f->length, "0"))
				printf("\t\"\\t\\t%s %s[%s];\\n\" \\\n", f->type,
				       f->name, f->length);
			else
				printf("\t\"\\t\\t%s %s;\\n\" \\\n", f->type, f->name);
		}
		printf("\t\"\\t};\\n};\\n\\n\"%s\n", i + 1 < n_events ? " \\" : "");
	}
	/* each event's field lines alone, for metadata that gives the
	 * event another id (vg_tp.c: vigild's own events beside the
	 * kernel's tracepoints) */
	for (i = 0; i < n_events; i++) {
		const struct event *e = &events[i];

		printf("\n#define VG_EVFIELDS_%s \\\n", e->cname);
		for (j = 0; j < e->n_fields; j++) {
			const struct field *f = &e->fields[j];

			if (strcmp(f->length, "0"))
				printf("\t\"\\t\\t%s %s[%s];\\n\"%s\n", f->type,
				       f->name, f->length,
				       j + 1 < e->n_fields ? " \\" : "");
			else
				printf("\t\"\\t\\t%s %s;\\n\"%s\n", f->type,
				       f->name, j + 1 < e->n_fields ? " \\" : "");
		}
		if (!e->n_fields)
			printf("\t\"\"\n");
	}
	printf("\n#endif\n");
}

int main(int argc, char **argv)
{
	read_table();
	if (argc == 2 && strcmp(argv[1], "tsv") == 0)
		print_tsv();
	else if (argc == 2 && strcmp(argv[1], "c-header") == 0)
		print_c_header();
	else if (argc == 2 && strcmp(argv[1], "c-tsdl") == 0)
		print_c_tsdl();
	else {
		fprintf(stderr, "usage: vigil-events tsv|c-header|c-tsdl\n");
		return 2;
	}
	return fflush(stdout) ? 1 : 0;
}
