/*
 * vg_tsdl.c - the CTF 1.8 metadata parser (the TSDL subset of
 * docs/design.md): tokenizer, recursive descent over types and the
 * top-level blocks, checks of the stream layout against vigil's ABI.
 * It fills the metadata model (vg_metadata.c) and lets the syscall code
 * derive its classes from the env entries (vg_syscall.c).
 */
#define _GNU_SOURCE
#include "vg_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- tokens ---------------------------------------------------------- */

enum { TK_EOF, TK_IDENT, TK_INT, TK_STRING, TK_PUNCT };

typedef struct {
	int type;
	guint line, col;
	gsize start, end;	/* byte range in the text */
	char *s;		/* IDENT / STRING (unescaped) / PUNCT text */
	guint64 ival;
} Token;

/* ---- types ------------------------------------------------------------ */

enum { TY_INT, TY_STRING, TY_STRUCT };

typedef struct Type Type;
typedef struct {
	char *name;
	Type *type;
	guint array_len;	/* 0: not an array */
	gboolean is_array;
	char *seq_len;		/* a sequence NAME[LEN]: the length field's name */
} Member;

struct Type {
	int kind;
	guint size;		/* bits (integers) */
	guint align;
	gboolean is_signed;
	guint base;
	gboolean text;		/* encoding UTF8/ASCII */
	gboolean big_endian;
	char *map;
	GPtrArray *members;	/* Member *, structs */
};

typedef struct {
	const char *origin;
	const char *text;
	gsize len;
	GArray *toks;		/* Token */
	guint pos;
	GPtrArray *pool;	/* every Type, freed at the end */
	GHashTable *aliases;	/* name -> Type * */
	GError **error;
	gboolean failed;
	VgMetadata *md;
	gboolean seen_trace, seen_clock, seen_stream;
	gsize trace_end;
	Type *event_header, *event_context, *packet_header, *packet_context;
	guint depth;		/* of the struct being parsed (parse_struct) */
} Parser;

/* Structs nest at most this deep (parse_struct recurses). */
#define TSDL_MAX_DEPTH 32

static void member_free(gpointer p)
{
	Member *m = p;

	g_free(m->name);
	g_free(m->seq_len);
	g_free(m);
}

static void type_free(gpointer p)
{
	Type *t = p;

	g_free(t->map);
	if (t->members)
		g_ptr_array_free(t->members, TRUE);
	g_free(t);
}

static Type *type_new(Parser *P, int kind)
{
	Type *t = g_new0(Type, 1);

	t->kind = kind;
	t->align = 8;
	t->base = 10;
	if (kind == TY_STRUCT)
		t->members = g_ptr_array_new_with_free_func(member_free);
	g_ptr_array_add(P->pool, t);
	return t;
}

G_GNUC_PRINTF(3, 4)
static gboolean perr(Parser *P, const Token *t, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (P->failed)
		return FALSE;
	P->failed = TRUE;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(P->error, VG_ERROR, VG_ERROR_PARSE, "%s:%u:%u: %s",
		    P->origin, t->line, t->col, msg);
	g_free(msg);
	return FALSE;
}

static const char *tok_desc(const Token *t, char *buf, gsize n)
{
	switch (t->type) {
	case TK_EOF:
		return "end of input";
	case TK_INT:
		g_snprintf(buf, n, "'%" G_GUINT64_FORMAT "'", t->ival);
		return buf;
	case TK_STRING:
		g_snprintf(buf, n, "\"%.40s\"", t->s);
		return buf;
	default:
		g_snprintf(buf, n, "'%.40s'", t->s);
		return buf;
	}
}

static gboolean tokenize(Parser *P)
{
	const char *s = P->text;
	gsize i = 0, n = P->len;
	guint line = 1;
	gsize line_start = 0;

	while (1) {
		Token t = { 0 };

		/* whitespace and comments */
		while (i < n) {
			if (s[i] == '\n') {
				line++;
				line_start = i + 1;
				i++;
			} else if (g_ascii_isspace(s[i])) {
				i++;
			} else if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
				guint cl = line, cc = i - line_start + 1;

				i += 2;
				while (i + 1 < n && !(s[i] == '*' && s[i + 1] == '/')) {
					if (s[i] == '\n') {
						line++;
						line_start = i + 1;
					}
					i++;
				}
				if (i + 1 >= n) {
					Token e = { .line = cl, .col = cc };

					return perr(P, &e, "unterminated comment");
				}
				i += 2;
			} else if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') {
				while (i < n && s[i] != '\n')
					i++;
			} else {
				break;
			}
		}
		t.line = line;
		t.col = i - line_start + 1;
		t.start = i;
		if (i >= n) {
			t.type = TK_EOF;
			t.end = i;
			g_array_append_val(P->toks, t);
			return TRUE;
		}
		if (s[i] == '\0') {
			return perr(P, &t, "NUL byte in metadata");
		} else if (g_ascii_isalpha(s[i]) || s[i] == '_') {
			gsize b = i;

			while (i < n && (g_ascii_isalnum(s[i]) || s[i] == '_' ||
					 (s[i] == '.' && i + 1 < n &&
					  (g_ascii_isalpha(s[i + 1]) || s[i + 1] == '_'))))
				i++;
			t.type = TK_IDENT;
			t.s = g_strndup(s + b, i - b);
		} else if (g_ascii_isdigit(s[i])) {
			gsize b = i;
			char *endp;
			guint64 v;

			while (i < n && (g_ascii_isalnum(s[i])))
				i++;
			t.s = g_strndup(s + b, i - b);
			errno = 0;
			v = g_ascii_strtoull(t.s, &endp, 0);
			if (*endp || errno) {
				char *bad = t.s;

				perr(P, &t, "bad number '%s'", bad);
				g_free(bad);
				return FALSE;
			}
			t.type = TK_INT;
			t.ival = v;
		} else if (s[i] == '"') {
			GString *str = g_string_new(NULL);

			i++;
			while (i < n && s[i] != '"') {
				if (s[i] == '\n') {
					g_string_free(str, TRUE);
					return perr(P, &t, "unterminated string");
				}
				if (s[i] == '\\' && i + 1 < n) {
					i++;
					switch (s[i]) {
					case 'n': g_string_append_c(str, '\n'); break;
					case 't': g_string_append_c(str, '\t'); break;
					case '\\': g_string_append_c(str, '\\'); break;
					case '"': g_string_append_c(str, '"'); break;
					case 'x':
						if (i + 2 < n && g_ascii_isxdigit(s[i + 1]) &&
						    g_ascii_isxdigit(s[i + 2])) {
							g_string_append_c(str, g_ascii_xdigit_value(s[i + 1]) * 16 +
									  g_ascii_xdigit_value(s[i + 2]));
							i += 2;
							break;
						}
						/* fall through */
					default:
						g_string_append_c(str, '\\');
						g_string_append_c(str, s[i]);
					}
					i++;
					continue;
				}
				g_string_append_c(str, s[i]);
				i++;
			}
			if (i >= n) {
				g_string_free(str, TRUE);
				return perr(P, &t, "unterminated string");
			}
			i++;
			/* values are C strings: a NUL would cut one short
			 * silently (and what is written back would differ) */
			if (memchr(str->str, 0, str->len)) {
				g_string_free(str, TRUE);
				return perr(P, &t, "string holds a NUL byte");
			}
			t.type = TK_STRING;
			t.s = g_string_free(str, FALSE);
		} else if (s[i] == ':' && i + 1 < n && s[i + 1] == '=') {
			t.type = TK_PUNCT;
			t.s = g_strdup(":=");
			i += 2;
		} else if (strchr("{}[]();=:,<>-+", s[i])) {
			t.type = TK_PUNCT;
			t.s = g_strndup(s + i, 1);
			i++;
		} else {
			char c[8];

			if (g_ascii_isprint(s[i]))
				g_snprintf(c, sizeof(c), "'%c'", s[i]);
			else
				g_snprintf(c, sizeof(c), "0x%02x", (guint8)s[i]);
			return perr(P, &t, "unexpected character %s", c);
		}
		t.end = i;
		g_array_append_val(P->toks, t);
	}
}

static Token *peek(Parser *P)
{
	return &g_array_index(P->toks, Token, P->pos);
}

static Token *next(Parser *P)
{
	Token *t = peek(P);

	if (t->type != TK_EOF)
		P->pos++;
	return t;
}

static gboolean is_punct(const Token *t, const char *p)
{
	return t->type == TK_PUNCT && strcmp(t->s, p) == 0;
}

static gboolean is_ident(const Token *t, const char *p)
{
	return t->type == TK_IDENT && strcmp(t->s, p) == 0;
}

static gboolean expect(Parser *P, const char *p, const char *context)
{
	Token *t = peek(P);
	char buf[64];

	if (!is_punct(t, p))
		return perr(P, t, "expected '%s' %s, got %s", p, context,
			    tok_desc(t, buf, sizeof(buf)));
	next(P);
	return TRUE;
}

/* ---- values ------------------------------------------------------------ */

/* integer (optionally negative) */
static gboolean parse_int(Parser *P, const char *what, gint64 *out)
{
	Token *t = peek(P);
	gboolean neg = FALSE;
	char buf[64];

	if (is_punct(t, "-") || is_punct(t, "+")) {
		neg = is_punct(t, "-");
		next(P);
		t = peek(P);
	}
	if (t->type != TK_INT)
		return perr(P, t, "expected a number for '%s', got %s", what,
			    tok_desc(t, buf, sizeof(buf)));
	/* -2^63 .. 2^63-1; 2^63 itself is only negated in unsigned
	 * arithmetic (negating INT64_MIN is undefined) */
	if (t->ival > (neg ? (guint64)G_MAXINT64 + 1 : (guint64)G_MAXINT64))
		return perr(P, t, "number %s%" G_GUINT64_FORMAT " for '%s' out of range "
			    "(a 64-bit signed integer)", neg ? "-" : "", t->ival, what);
	next(P);
	*out = neg ? (gint64)(0 - t->ival) : (gint64)t->ival;
	return TRUE;
}

static gboolean parse_bool(Parser *P, const char *what, gboolean *out)
{
	Token *t = next(P);
	char buf[64];

	if (is_ident(t, "true") || is_ident(t, "TRUE") ||
	    (t->type == TK_INT && t->ival == 1))
		*out = TRUE;
	else if (is_ident(t, "false") || is_ident(t, "FALSE") ||
		 (t->type == TK_INT && t->ival == 0))
		*out = FALSE;
	else
		return perr(P, t, "expected true or false for '%s', got %s",
			    what, tok_desc(t, buf, sizeof(buf)));
	return TRUE;
}

/* "attr = value ;" end check */
static gboolean attr_end(Parser *P, const char *attr)
{
	Token *t = peek(P);
	char buf[64];

	if (!is_punct(t, ";"))
		return perr(P, t, "expected ';' after '%s', got %s", attr,
			    tok_desc(t, buf, sizeof(buf)));
	next(P);
	return TRUE;
}

/* ---- type specifiers ----------------------------------------------------- */

static Type *parse_type(Parser *P, gboolean allow_struct);

static Type *parse_integer(Parser *P)
{
	Type *ty = type_new(P, TY_INT);
	gboolean have_size = FALSE;

	ty->size = 0;
	if (!expect(P, "{", "after 'integer'"))
		return NULL;
	while (!is_punct(peek(P), "}")) {
		Token *a = next(P);
		char buf[64];
		gint64 v;

		if (a->type != TK_IDENT)
			return perr(P, a, "expected an integer attribute, got %s",
				    tok_desc(a, buf, sizeof(buf))), NULL;
		if (!expect(P, "=", "after integer attribute"))
			return NULL;
		if (strcmp(a->s, "size") == 0) {
			Token *vt = peek(P);

			if (!parse_int(P, "size", &v))
				return NULL;
			if (v != 8 && v != 16 && v != 32 && v != 64)
				return perr(P, vt, "integer size %" G_GINT64_FORMAT
					    " not supported (8, 16, 32 or 64)", v), NULL;
			ty->size = v;
			have_size = TRUE;
		} else if (strcmp(a->s, "align") == 0) {
			Token *vt = peek(P);

			if (!parse_int(P, "align", &v))
				return NULL;
			if (v <= 0 || v % 8 != 0 || (v & (v - 1)))
				return perr(P, vt, "integer align %" G_GINT64_FORMAT
					    " not supported (whole bytes)", v), NULL;
			ty->align = v;
		} else if (strcmp(a->s, "signed") == 0) {
			if (!parse_bool(P, "signed", &ty->is_signed))
				return NULL;
		} else if (strcmp(a->s, "byte_order") == 0) {
			Token *vt = next(P);

			if (is_ident(vt, "le") || is_ident(vt, "native"))
				ty->big_endian = FALSE;
			else if (is_ident(vt, "be") || is_ident(vt, "network"))
				return perr(P, vt, "big-endian integers are not supported"), NULL;
			else
				return perr(P, vt, "bad byte_order %s",
					    tok_desc(vt, buf, sizeof(buf))), NULL;
		} else if (strcmp(a->s, "base") == 0) {
			Token *vt = next(P);

			if (vt->type == TK_INT && (vt->ival == 2 || vt->ival == 8 ||
						   vt->ival == 10 || vt->ival == 16))
				ty->base = vt->ival;
			else if (is_ident(vt, "decimal") || is_ident(vt, "dec") ||
				 is_ident(vt, "d") || is_ident(vt, "i") ||
				 is_ident(vt, "u"))
				ty->base = 10;
			else if (is_ident(vt, "hexadecimal") || is_ident(vt, "hex") ||
				 is_ident(vt, "x") || is_ident(vt, "X") ||
				 is_ident(vt, "p"))
				ty->base = 16;
			else if (is_ident(vt, "octal") || is_ident(vt, "oct") ||
				 is_ident(vt, "o"))
				ty->base = 8;
			else if (is_ident(vt, "binary") || is_ident(vt, "b"))
				ty->base = 2;
			else
				return perr(P, vt, "bad base %s",
					    tok_desc(vt, buf, sizeof(buf))), NULL;
		} else if (strcmp(a->s, "encoding") == 0) {
			Token *vt = next(P);

			if (is_ident(vt, "UTF8") || is_ident(vt, "ASCII"))
				ty->text = TRUE;
			else if (is_ident(vt, "none"))
				ty->text = FALSE;
			else
				return perr(P, vt, "bad encoding %s",
					    tok_desc(vt, buf, sizeof(buf))), NULL;
		} else if (strcmp(a->s, "map") == 0) {
			Token *vt = next(P);

			if (vt->type != TK_IDENT)
				return perr(P, vt, "bad map %s",
					    tok_desc(vt, buf, sizeof(buf))), NULL;
			g_free(ty->map);
			ty->map = g_strdup(vt->s);
		} else {
			return perr(P, a, "unknown integer attribute '%s'", a->s), NULL;
		}
		if (!attr_end(P, a->s))
			return NULL;
	}
	if (!have_size)
		return perr(P, peek(P), "integer without 'size'"), NULL;
	next(P);		/* } */
	return ty;
}

static Type *parse_struct_body(Parser *P);

/* A struct, nested at most TSDL_MAX_DEPTH deep: the parser recurses. */
static Type *parse_struct(Parser *P)
{
	Type *ty;

	if (P->depth >= TSDL_MAX_DEPTH)
		return perr(P, peek(P), "structs nested deeper than %d",
			    TSDL_MAX_DEPTH), NULL;
	P->depth++;
	ty = parse_struct_body(P);
	P->depth--;
	return ty;
}

static Type *parse_struct_body(Parser *P)
{
	Type *ty = type_new(P, TY_STRUCT);

	if (peek(P)->type == TK_IDENT)	/* struct name: ignored */
		next(P);
	if (!expect(P, "{", "after 'struct'"))
		return NULL;
	while (!is_punct(peek(P), "}")) {
		Token *start = peek(P);
		Type *mt;
		Member *m;
		Token *nt;
		char buf[64];

		if (start->type == TK_EOF)
			return perr(P, start, "expected '}' to close struct"), NULL;
		mt = parse_type(P, TRUE);
		if (!mt)
			return NULL;
		nt = next(P);
		if (nt->type != TK_IDENT)
			return perr(P, nt, "expected a field name, got %s",
				    tok_desc(nt, buf, sizeof(buf))), NULL;
		m = g_new0(Member, 1);
		/* CTF 1.8: a leading underscore escapes a field name (a
		 * keyword, or a name that starts with one itself): the name
		 * is the rest, as babeltrace2 reads it */
		m->name = g_strdup(nt->s[0] == '_' && nt->s[1] ? nt->s + 1 :
				   nt->s);
		m->type = mt;
		g_ptr_array_add(ty->members, m);
		if (is_punct(peek(P), "[")) {
			Token *lt;

			next(P);
			lt = next(P);
			if (lt->type == TK_IDENT) {
				/* a sequence: only vigil's callchain
				 * (class_from_struct checks it) */
				m->seq_len = g_strdup(lt->s[0] == '_' && lt->s[1] ?
						      lt->s + 1 : lt->s);
				if (!expect(P, "]", "after sequence length"))
					return NULL;
				goto member_end;
			}
			if (lt->type != TK_INT)
				return perr(P, lt, "expected an array length for field '%s', got %s",
					    m->name, tok_desc(lt, buf, sizeof(buf))), NULL;
			if (lt->ival == 0 || lt->ival > 65536)
				return perr(P, lt, "array length %" G_GUINT64_FORMAT
					    " of field '%s' out of range", lt->ival, m->name), NULL;
			m->is_array = TRUE;
			m->array_len = lt->ival;
			if (!expect(P, "]", "after array length"))
				return NULL;
		}
member_end:
		if (!is_punct(peek(P), ";")) {
			Token *t = peek(P);

			return perr(P, t, "expected ';' after field '%s', got %s",
				    m->name, tok_desc(t, buf, sizeof(buf))), NULL;
		}
		next(P);
	}
	next(P);		/* } */
	if (is_ident(peek(P), "align")) {
		gint64 v;

		next(P);
		if (!expect(P, "(", "after 'align'") || !parse_int(P, "align", &v) ||
		    !expect(P, ")", "after struct alignment"))
			return NULL;
		if (v != 8)
			return perr(P, peek(P), "struct align(%" G_GINT64_FORMAT
				    ") not supported (only 8)", v), NULL;
	}
	return ty;
}

/* A type specifier.  For an alias reference, one identifier (or several
 * naming a multi-word alias) is consumed, leaving the declarator. */
static Type *parse_type(Parser *P, gboolean allow_struct)
{
	Token *t = peek(P);
	char buf[64];

	if (is_ident(t, "integer")) {
		next(P);
		return parse_integer(P);
	}
	if (is_ident(t, "string")) {
		Type *ty = type_new(P, TY_STRING);

		next(P);
		if (is_punct(peek(P), "{")) {
			next(P);
			while (!is_punct(peek(P), "}")) {
				Token *a = next(P);
				Token *v;

				if (!is_ident(a, "encoding"))
					return perr(P, a, "unknown string attribute %s",
						    tok_desc(a, buf, sizeof(buf))), NULL;
				if (!expect(P, "=", "after 'encoding'"))
					return NULL;
				v = next(P);
				if (!is_ident(v, "UTF8") && !is_ident(v, "ASCII"))
					return perr(P, v, "bad string encoding %s",
						    tok_desc(v, buf, sizeof(buf))), NULL;
				if (!attr_end(P, "encoding"))
					return NULL;
			}
			next(P);
		}
		return ty;
	}
	if (is_ident(t, "struct")) {
		if (!allow_struct)
			return perr(P, t, "struct not allowed here"), NULL;
		next(P);
		return parse_struct(P);
	}
	if (is_ident(t, "enum") || is_ident(t, "floating_point") ||
	    is_ident(t, "variant") || is_ident(t, "sequence"))
		return perr(P, t, "unsupported type '%s'", t->s), NULL;
	if (t->type == TK_IDENT) {
		/* Longest run of identifiers that names an alias, leaving
		 * at least the declarator. */
		GString *name = g_string_new(NULL);
		Type *found = NULL;
		guint found_pos = 0, i = P->pos;

		while (1) {
			Token *w = &g_array_index(P->toks, Token, i);
			Type *ty;

			if (w->type != TK_IDENT)
				break;
			if (name->len)
				g_string_append_c(name, ' ');
			g_string_append(name, w->s);
			ty = g_hash_table_lookup(P->aliases, name->str);
			if (ty) {
				found = ty;
				found_pos = i + 1;
			}
			i++;
		}
		g_string_free(name, TRUE);
		if (!found)
			return perr(P, t, "unknown type '%s'", t->s), NULL;
		P->pos = found_pos;
		return found;
	}
	return perr(P, t, "expected a type, got %s", tok_desc(t, buf, sizeof(buf))), NULL;
}

/* ---- type checks against the ABI ----------------------------------------- */

typedef struct {
	const char *name;
	guint bits;
	guint array;
} Want;

static gboolean check_struct(Parser *P, const Token *at, const char *what,
			     Type *ty, const Want *want, guint n)
{
	guint i;

	if (ty->kind != TY_STRUCT)
		return perr(P, at, "%s must be a struct", what);
	if (ty->members->len != n)
		goto bad;
	for (i = 0; i < n; i++) {
		Member *m = g_ptr_array_index(ty->members, i);

		if (strcmp(m->name, want[i].name) != 0 ||
		    m->type->kind != TY_INT || m->type->size != want[i].bits ||
		    m->array_len != want[i].array || m->seq_len)
			goto bad;
	}
	return TRUE;
bad:
	{
		GString *s = g_string_new(NULL);

		for (i = 0; i < n; i++) {
			g_string_append_printf(s, " %s:%u", want[i].name, want[i].bits);
			if (want[i].array)
				g_string_append_printf(s, "[%u]", want[i].array);
			g_string_append_c(s, ';');
		}
		perr(P, at, "%s does not match vigil's layout {%s }", what, s->str);
		g_string_free(s, TRUE);
		return FALSE;
	}
}

/* ---- top-level blocks ------------------------------------------------------ */

static VgEventClass *class_from_struct(Parser *P, const Token *at, guint32 id,
				       const char *name, Type *ty)
{
	VgEventClass *cls;
	guint i;

	if (ty->kind != TY_STRUCT)
		return perr(P, at, "event '%s': fields must be a struct", name), NULL;
	guint64 off = 0;	/* of the field in a record without strings */
	guint n = ty->members->len;
	gboolean chain = FALSE;

	/* Sequences: only vigil's callchain, the last two fields
	 * (docs/design.md), which are not fields of the class. */
	for (i = 0; i < n; i++) {
		Member *m = g_ptr_array_index(ty->members, i);
		Member *d = i ? g_ptr_array_index(ty->members, i - 1) : NULL;

		if (!m->seq_len)
			continue;
		if (i != n - 1 || strcmp(m->name, VG_CALLCHAIN_FIELD) != 0 ||
		    strcmp(m->seq_len, VG_CALLCHAIN_DEPTH_FIELD) != 0 ||
		    m->type->kind != TY_INT || m->type->size != 64 ||
		    m->type->is_signed || !d ||
		    strcmp(d->name, VG_CALLCHAIN_DEPTH_FIELD) != 0 ||
		    d->type->kind != TY_INT || d->type->size != 16 ||
		    d->type->is_signed || d->is_array || d->seq_len)
			return perr(P, at, "event '%s': field '%s[%s]': the only "
				    "sequence vigil reads is its callchain, the last "
				    "fields 'uint16_t %s; uint64_hex_t %s[%s];'",
				    name, m->name, m->seq_len,
				    VG_CALLCHAIN_DEPTH_FIELD, VG_CALLCHAIN_FIELD,
				    VG_CALLCHAIN_DEPTH_FIELD), NULL;
		chain = TRUE;
		n -= 2;
	}
	cls = vg_class_new(id, name, n);
	cls->callchain = chain;
	for (i = 0; i < n; i++) {
		Member *m = g_ptr_array_index(ty->members, i);
		VgField *f = &cls->fields[i];

		/* The class layout keeps 32-bit offsets: a record is refused
		 * here long before they could wrap (each field is at most
		 * 8 x 65536 bytes, but their number is not bounded). */
		if (m->type->kind != TY_STRING && m->type->kind != TY_STRUCT)
			off += (guint64)(m->type->size / 8) *
			       (m->is_array ? m->array_len : 1);
		if (off > VG_CLASS_MAX_SIZE) {
			perr(P, at, "event '%s': field '%s' ends at offset %" G_GUINT64_FORMAT
			     ", past the largest event record (%u bytes)",
			     name, m->name, off, (guint)VG_CLASS_MAX_SIZE);
			vg_class_free(cls);
			return NULL;
		}

		f->name = g_strdup(m->name);
		f->base = 10;
		if (m->type->kind == TY_STRUCT) {
			perr(P, at, "event '%s': field '%s': nested struct not supported",
			     name, m->name);
			vg_class_free(cls);
			return NULL;
		}
		if (m->type->kind == TY_STRING) {
			if (m->is_array) {
				perr(P, at, "event '%s': field '%s': array of strings not supported",
				     name, m->name);
				vg_class_free(cls);
				return NULL;
			}
			f->kind = VG_FIELD_STRING;
			f->elem_size = 1;
			continue;
		}
		f->elem_size = m->type->size / 8;
		f->base = m->type->base;
		if (m->is_array) {
			f->length = m->array_len;
			if (m->type->text && m->type->size == 8)
				f->kind = VG_FIELD_CHARS;
			else
				f->kind = m->type->is_signed ? VG_FIELD_INT_ARRAY :
					VG_FIELD_UINT_ARRAY;
		} else {
			f->length = 1;
			f->kind = m->type->is_signed ? VG_FIELD_INT : VG_FIELD_UINT;
		}
	}
	return cls;
}

static gboolean parse_uuid(const char *s, guint8 out[16])
{
	guint i, n = 0;

	for (i = 0; s[i] && n < 32; i++) {
		int v;

		if (s[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23))
			continue;
		v = g_ascii_xdigit_value(s[i]);
		if (v < 0)
			return FALSE;
		if (n % 2 == 0)
			out[n / 2] = v << 4;
		else
			out[n / 2] |= v;
		n++;
	}
	return n == 32 && s[i] == '\0' && i == 36;
}

static gboolean parse_typealias(Parser *P)
{
	Type *ty;
	GString *name;
	Token *t;

	ty = parse_type(P, TRUE);
	if (!ty)
		return FALSE;
	if (!expect(P, ":=", "in typealias"))
		return FALSE;
	name = g_string_new(NULL);
	while ((t = peek(P))->type == TK_IDENT) {
		if (name->len)
			g_string_append_c(name, ' ');
		g_string_append(name, t->s);
		next(P);
	}
	if (!name->len) {
		char buf[64];

		g_string_free(name, TRUE);
		return perr(P, t, "expected an alias name after ':=', got %s",
			    tok_desc(t, buf, sizeof(buf)));
	}
	g_hash_table_replace(P->aliases, g_string_free(name, FALSE), ty);
	return expect(P, ";", "after typealias");
}

static gboolean parse_trace(Parser *P)
{
	if (!expect(P, "{", "after 'trace'"))
		return FALSE;
	while (!is_punct(peek(P), "}")) {
		Token *a = next(P);
		char buf[64];

		if (a->type != TK_IDENT)
			return perr(P, a, "expected a trace attribute, got %s",
				    tok_desc(a, buf, sizeof(buf)));
		if (strcmp(a->s, "packet.header") == 0) {
			static const Want w[] = {
				{ "magic", 32, 0 }, { "uuid", 8, 16 },
				{ "stream_id", 32, 0 }, { "stream_instance_id", 64, 0 },
			};
			Type *ty;

			if (!expect(P, ":=", "after 'packet.header'"))
				return FALSE;
			ty = parse_type(P, TRUE);
			if (!ty || !check_struct(P, a, "trace packet.header", ty, w, 4))
				return FALSE;
			P->packet_header = ty;
		} else {
			gint64 v;

			if (!expect(P, "=", "after trace attribute"))
				return FALSE;
			if (strcmp(a->s, "major") == 0 || strcmp(a->s, "minor") == 0) {
				Token *vt = peek(P);

				if (!parse_int(P, a->s, &v))
					return FALSE;
				if (strcmp(a->s, "major") == 0 && v != 1)
					return perr(P, vt, "CTF major version %" G_GINT64_FORMAT
						    " not supported (1)", v);
			} else if (strcmp(a->s, "uuid") == 0) {
				Token *vt = next(P);

				if (vt->type != TK_STRING || !parse_uuid(vt->s, P->md->uuid))
					return perr(P, vt, "bad uuid %s",
						    tok_desc(vt, buf, sizeof(buf)));
				P->md->has_uuid = TRUE;
			} else if (strcmp(a->s, "byte_order") == 0) {
				Token *vt = next(P);

				if (is_ident(vt, "be") || is_ident(vt, "network"))
					return perr(P, vt, "big-endian traces are not supported");
				if (!is_ident(vt, "le") && !is_ident(vt, "native"))
					return perr(P, vt, "bad byte_order %s",
						    tok_desc(vt, buf, sizeof(buf)));
			} else {
				return perr(P, a, "unknown trace attribute '%s'", a->s);
			}
		}
		if (!attr_end(P, a->s))
			return FALSE;
	}
	next(P);
	if (!expect(P, ";", "after trace block"))
		return FALSE;
	P->trace_end = g_array_index(P->toks, Token, P->pos - 1).end;
	P->seen_trace = TRUE;
	return TRUE;
}

static gboolean parse_env(Parser *P, gsize start)
{
	if (!expect(P, "{", "after 'env'"))
		return FALSE;
	while (!is_punct(peek(P), "}")) {
		Token *k = next(P), *v;
		char buf[64];

		if (k->type != TK_IDENT)
			return perr(P, k, "expected an env key, got %s",
				    tok_desc(k, buf, sizeof(buf)));
		if (!expect(P, "=", "after env key"))
			return FALSE;
		v = peek(P);
		if (v->type == TK_STRING) {
			next(P);
			vg_metadata_env_put(P->md, k->s, v->s, TRUE);
		} else if (v->type == TK_INT || is_punct(v, "-")) {
			gint64 iv;
			char num[32];

			if (!parse_int(P, k->s, &iv))
				return FALSE;
			g_snprintf(num, sizeof(num), "%" G_GINT64_FORMAT, iv);
			vg_metadata_env_put(P->md, k->s, num, FALSE);
		} else if (v->type == TK_IDENT) {
			next(P);
			vg_metadata_env_put(P->md, k->s, v->s, TRUE);
		} else {
			return perr(P, v, "bad value %s for env key '%s'",
				    tok_desc(v, buf, sizeof(buf)), k->s);
		}
		if (!attr_end(P, k->s))
			return FALSE;
	}
	next(P);
	if (!expect(P, ";", "after env block"))
		return FALSE;
	P->md->env_start = start;
	P->md->env_end = g_array_index(P->toks, Token, P->pos - 1).end;
	return TRUE;
}

static gboolean parse_clock(Parser *P)
{
	gint64 offset = 0, offset_s = 0, freq = 1000000000;
	gboolean monotonic = FALSE;
	Token *at_offset = peek(P);	/* for errors: the last offset attribute */
	__int128 ns;

	if (!expect(P, "{", "after 'clock'"))
		return FALSE;
	while (!is_punct(peek(P), "}")) {
		Token *a = next(P), *vt;
		char buf[64];

		if (a->type != TK_IDENT)
			return perr(P, a, "expected a clock attribute, got %s",
				    tok_desc(a, buf, sizeof(buf)));
		if (!expect(P, "=", "after clock attribute"))
			return FALSE;
		vt = peek(P);
		if (strcmp(a->s, "name") == 0) {
			next(P);
			if (vt->type != TK_IDENT && vt->type != TK_STRING)
				return perr(P, vt, "bad clock name %s",
					    tok_desc(vt, buf, sizeof(buf)));
			monotonic = strcmp(vt->s, "monotonic") == 0;
		} else if (strcmp(a->s, "uuid") == 0 || strcmp(a->s, "description") == 0) {
			next(P);
			if (vt->type != TK_STRING)
				return perr(P, vt, "clock %s must be a string", a->s);
		} else if (strcmp(a->s, "freq") == 0) {
			if (!parse_int(P, "freq", &freq))
				return FALSE;
			if (freq <= 0)
				return perr(P, vt, "clock freq must be positive");
		} else if (strcmp(a->s, "offset") == 0) {
			if (!parse_int(P, "offset", &offset))
				return FALSE;
			at_offset = a;
		} else if (strcmp(a->s, "offset_s") == 0) {
			if (!parse_int(P, "offset_s", &offset_s))
				return FALSE;
			at_offset = a;
		} else if (strcmp(a->s, "precision") == 0) {
			gint64 dummy;

			if (!parse_int(P, "precision", &dummy))
				return FALSE;
		} else if (strcmp(a->s, "absolute") == 0) {
			gboolean dummy;

			if (!parse_bool(P, "absolute", &dummy))
				return FALSE;
		} else {
			return perr(P, a, "unknown clock attribute '%s'", a->s);
		}
		if (!attr_end(P, a->s))
			return FALSE;
	}
	next(P);
	if (!expect(P, ";", "after clock block"))
		return FALSE;
	/* offset_s s + offset cycles in ns, exactly: both are below 2^63 and
	 * 1e9 < 2^30, so 128 bits cannot overflow; the sum must fit 64 bits */
	ns = (__int128)offset_s * 1000000000 + (__int128)offset * 1000000000 / freq;
	if (ns > G_MAXINT64 || ns < G_MININT64)
		return perr(P, at_offset, "clock offset_s = %" G_GINT64_FORMAT
			    ", offset = %" G_GINT64_FORMAT " (freq %" G_GINT64_FORMAT
			    "): the offset is out of range of 64-bit nanoseconds",
			    offset_s, offset, freq);
	if (monotonic) {
		P->md->clock_freq = freq;
		P->md->clock_offset = (gint64)ns;
		P->seen_clock = TRUE;
	}
	return TRUE;
}

static gboolean parse_stream(Parser *P)
{
	static const Want eh[] = { { "id", 16, 0 }, { "timestamp", 64, 0 } };
	static const Want ec[] = { { "tid", 32, 0 } };
	static const Want pc[] = {
		{ "timestamp_begin", 64, 0 }, { "timestamp_end", 64, 0 },
		{ "content_size", 64, 0 }, { "packet_size", 64, 0 },
		{ "packet_seq_num", 64, 0 }, { "events_discarded", 64, 0 },
		{ "cpu_id", 32, 0 },
	};

	if (!expect(P, "{", "after 'stream'"))
		return FALSE;
	while (!is_punct(peek(P), "}")) {
		Token *a = next(P);
		char buf[64];
		Type *ty;

		if (a->type != TK_IDENT)
			return perr(P, a, "expected a stream attribute, got %s",
				    tok_desc(a, buf, sizeof(buf)));
		if (strcmp(a->s, "id") == 0) {
			Token *vt;
			gint64 v;

			if (!expect(P, "=", "after 'id'"))
				return FALSE;
			vt = peek(P);
			if (!parse_int(P, "id", &v))
				return FALSE;
			if (v != 0)
				return perr(P, vt, "stream id %" G_GINT64_FORMAT
					    " not supported (one stream class, id 0)", v);
		} else if (strcmp(a->s, "event.header") == 0 ||
			   strcmp(a->s, "event.context") == 0 ||
			   strcmp(a->s, "packet.context") == 0) {
			if (!expect(P, ":=", "after stream attribute"))
				return FALSE;
			ty = parse_type(P, TRUE);
			if (!ty)
				return FALSE;
			if (strcmp(a->s, "event.header") == 0) {
				if (!check_struct(P, a, "stream event.header", ty, eh, 2))
					return FALSE;
				P->event_header = ty;
			} else if (strcmp(a->s, "event.context") == 0) {
				if (!check_struct(P, a, "stream event.context", ty, ec, 1))
					return FALSE;
				P->event_context = ty;
			} else {
				if (!check_struct(P, a, "stream packet.context", ty, pc, 7))
					return FALSE;
				P->packet_context = ty;
			}
		} else {
			return perr(P, a, "unknown stream attribute '%s'", a->s);
		}
		if (!attr_end(P, a->s))
			return FALSE;
	}
	next(P);
	if (!expect(P, ";", "after stream block"))
		return FALSE;
	P->seen_stream = TRUE;
	return TRUE;
}

static gboolean parse_event(Parser *P, Token *kw)
{
	char *name = NULL;
	gint64 id = -1;
	Type *fields = NULL;
	Token *fields_at = NULL;
	VgEventClass *cls;

	if (!expect(P, "{", "after 'event'"))
		return FALSE;
	while (!is_punct(peek(P), "}")) {
		Token *a = next(P), *vt;
		char buf[64];
		gint64 v;

		if (a->type != TK_IDENT)
			goto bad_attr;
		if (strcmp(a->s, "fields") == 0) {
			if (!expect(P, ":=", "after 'fields'"))
				goto fail;
			fields_at = peek(P);
			fields = parse_type(P, TRUE);
			if (!fields)
				goto fail;
		} else {
			if (!expect(P, "=", "after event attribute"))
				goto fail;
			vt = peek(P);
			if (strcmp(a->s, "name") == 0) {
				next(P);
				if (vt->type != TK_STRING && vt->type != TK_IDENT) {
					perr(P, vt, "bad event name %s",
					     tok_desc(vt, buf, sizeof(buf)));
					goto fail;
				}
				g_free(name);
				name = g_strdup(vt->s);
			} else if (strcmp(a->s, "id") == 0) {
				if (!parse_int(P, "id", &id))
					goto fail;
				if (id < 0 || id >= VG_MAX_DIRECT_ID) {
					perr(P, vt, "event id %" G_GINT64_FORMAT
					     " out of range (0..65535)", id);
					goto fail;
				}
			} else if (strcmp(a->s, "stream_id") == 0) {
				if (!parse_int(P, "stream_id", &v))
					goto fail;
				if (v != 0) {
					perr(P, vt, "event stream_id %" G_GINT64_FORMAT
					     " not supported (0)", v);
					goto fail;
				}
			} else if (strcmp(a->s, "loglevel") == 0) {
				if (!parse_int(P, "loglevel", &v))
					goto fail;
			} else {
				perr(P, a, "unknown event attribute '%s'", a->s);
				goto fail;
			}
		}
		if (!attr_end(P, a->s))
			goto fail;
		continue;
bad_attr:
		perr(P, a, "expected an event attribute, got %s",
		     tok_desc(a, buf, sizeof(buf)));
		goto fail;
	}
	if (!name) {
		perr(P, kw, "event without a name");
		goto fail;
	}
	if (id < 0) {
		perr(P, kw, "event '%s' without an id", name);
		goto fail;
	}
	next(P);
	if (!expect(P, ";", "after event block"))
		goto fail;
	if (vg_metadata_class(P->md, id)) {
		perr(P, kw, "event '%s': id %" G_GINT64_FORMAT " already used by '%s'",
		     name, id, vg_metadata_class(P->md, id)->name);
		goto fail;
	}
	if (vg_metadata_class_by_name(P->md, name)) {
		perr(P, kw, "event '%s' defined twice", name);
		goto fail;
	}
	if (fields) {
		cls = class_from_struct(P, fields_at, id, name, fields);
		if (!cls)
			goto fail;
	} else {
		cls = vg_class_new(id, name, 0);
	}
	vg_metadata_add_class(P->md, cls);
	g_free(name);
	return TRUE;
fail:
	g_free(name);
	return FALSE;
}

static gboolean parse_top(Parser *P)
{
	while (peek(P)->type != TK_EOF) {
		Token *t = next(P);
		char buf[64];

		if (is_ident(t, "typealias")) {
			if (!parse_typealias(P))
				return FALSE;
		} else if (is_ident(t, "trace")) {
			if (P->seen_trace)
				return perr(P, t, "second trace block");
			if (!parse_trace(P))
				return FALSE;
		} else if (is_ident(t, "env")) {
			if (P->md->env_end)
				return perr(P, t, "second env block");
			if (!parse_env(P, t->start))
				return FALSE;
		} else if (is_ident(t, "clock")) {
			if (!parse_clock(P))
				return FALSE;
		} else if (is_ident(t, "stream")) {
			if (P->seen_stream)
				return perr(P, t, "second stream block");
			if (!parse_stream(P))
				return FALSE;
		} else if (is_ident(t, "event")) {
			if (!parse_event(P, t))
				return FALSE;
		} else if (is_punct(t, ";")) {
			/* stray ';' is harmless */
		} else {
			return perr(P, t, "unexpected %s at top level",
				    tok_desc(t, buf, sizeof(buf)));
		}
	}
	return TRUE;
}

static void parser_clear(Parser *P)
{
	guint i;

	for (i = 0; i < P->toks->len; i++)
		g_free(g_array_index(P->toks, Token, i).s);
	g_array_free(P->toks, TRUE);
	g_ptr_array_free(P->pool, TRUE);
	g_hash_table_destroy(P->aliases);
}

/* Parse text into md (fresh or existing).  Classes go to md. */
static gboolean parse_into(VgMetadata *md, const char *tsdl, gsize len,
			   const char *origin, gboolean full, GError **error)
{
	Parser P = { 0 };
	gboolean ok;

	P.origin = origin ? origin : "metadata";
	P.text = tsdl;
	P.len = len;
	P.toks = g_array_new(FALSE, TRUE, sizeof(Token));
	P.pool = g_ptr_array_new_with_free_func(type_free);
	P.aliases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	P.error = error;
	P.md = md;
	ok = tokenize(&P) && parse_top(&P);
	if (ok && full) {
		Token *eof = &g_array_index(P.toks, Token, P.toks->len - 1);

		if (!P.seen_trace)
			ok = perr(&P, eof, "no trace block");
		else if (!P.packet_header)
			ok = perr(&P, eof, "trace block without packet.header");
		else if (!P.seen_stream)
			ok = perr(&P, eof, "no stream block");
		else if (!P.event_header || !P.event_context || !P.packet_context)
			ok = perr(&P, eof, "stream block needs event.header, event.context and packet.context");
		else if (!P.seen_clock)
			ok = perr(&P, eof, "no clock named monotonic");
		if (ok && !md->env_end)
			md->env_start = md->env_end = P.trace_end;
	}
	parser_clear(&P);
	return ok;
}

VgMetadata *vg_metadata_parse(const char *tsdl, gsize len, const char *origin,
			      GError **error)
{
	VgMetadata *md = vg_metadata_new_empty();

	if (len == (gsize)-1)
		len = strlen(tsdl);
	md->origin = g_strdup(origin ? origin : "metadata");
	if (!parse_into(md, tsdl, len, origin, TRUE, error)) {
		vg_metadata_free(md);
		return NULL;
	}
	/* verbatim, NUL bytes (in comments) too: vg_metadata_to_tsdl()
	 * writes text_len bytes back (g_strndup stopped at the first NUL) */
	md->text = g_malloc(len + 1);
	memcpy(md->text, tsdl, len);
	md->text[len] = '\0';
	md->text_len = len;
	vg_syscall_derive_classes(md);
	return md;
}

VgMetadata *vg_metadata_load(const char *path, GError **error)
{
	char *text;
	gsize len;
	VgMetadata *md;

	if (!g_file_get_contents(path, &text, &len, error))
		return NULL;
	if (len >= 4 && *(guint32 *)text == 0x75d11d57) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: packetized metadata is not supported (plain TSDL only)", path);
		g_free(text);
		return NULL;
	}
	md = vg_metadata_parse(text, len, path, error);
	g_free(text);
	return md;
}

gboolean vg_metadata_update(VgMetadata *md, const char *tsdl, gsize len,
			    const char *origin, GError **error)
{
	VgMetadata *nmd = vg_metadata_parse(tsdl, len, origin, error);
	guint i;

	if (!nmd)
		return FALSE;
	if (memcmp(nmd->uuid, md->uuid, 16) != 0) {
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: uuid differs from the trace's", origin ? origin : "metadata");
		vg_metadata_free(nmd);
		return FALSE;
	}
	for (i = 0; i < nmd->classes->len; i++) {
		VgEventClass *c = g_ptr_array_index(nmd->classes, i);
		const VgEventClass *old;
		guint j;

		if (c->flags)
			continue;
		old = vg_metadata_class(md, c->id);
		if (!old)
			continue;
		if (strcmp(old->name, c->name) != 0 || old->n_fields != c->n_fields ||
		    old->callchain != c->callchain)
			goto changed;
		for (j = 0; j < c->n_fields; j++)
			if (strcmp(old->fields[j].name, c->fields[j].name) ||
			    old->fields[j].kind != c->fields[j].kind ||
			    old->fields[j].elem_size != c->fields[j].elem_size ||
			    old->fields[j].length != c->fields[j].length)
				goto changed;
		continue;
changed:
		g_set_error(error, VG_ERROR, VG_ERROR_PARSE,
			    "%s: event id %u changed ('%s' was '%s')",
			    origin ? origin : "metadata", c->id, c->name, old->name);
		vg_metadata_free(nmd);
		return FALSE;
	}
	/* Move the new classes over, keeping their text. */
	for (i = 0; i < nmd->classes->len; i++) {
		VgEventClass *c = g_ptr_array_index(nmd->classes, i);

		if (c->flags || vg_metadata_class(md, c->id) ||
		    vg_metadata_class_by_name(md, c->name))
			continue;
		g_ptr_array_index(nmd->classes, i) = NULL;
		vg_metadata_add_class(md, c);
	}
	/* Replace the text by the newer one (it describes a superset),
	 * keeping our env entries. */
	g_free(md->text);
	md->text = nmd->text;
	md->text_len = nmd->text_len;
	md->env_start = nmd->env_start;
	md->env_end = nmd->env_end;
	nmd->text = NULL;
	for (i = 0; i < nmd->env->len; i++) {
		VgEnvEntry *x = &g_array_index(nmd->env, VgEnvEntry, i);

		if (!vg_metadata_env(md, x->key))
			vg_metadata_env_put(md, x->key, x->value, x->is_string);
	}
	g_ptr_array_set_free_func(nmd->classes, (GDestroyNotify)vg_class_free);
	vg_metadata_free(nmd);
	return TRUE;
}
