/*
 * vg_filter.c - filter expressions on events, compiled once per class
 * into a small tree whose leaves hold resolved field indexes.
 *
 *   expr    := and ( '||' and )*
 *   and     := unary ( '&&' unary )*
 *   unary   := '!' unary | '(' expr ')' | cmp
 *   cmp     := operand [ ( == != < <= > >= =~ ) operand ]
 *   operand := NAME [ '[' INT ']' ] | ['-'] INT | STRING
 *
 * Strings compare with == and != (and =~, a synonym of ==) as shell
 * globs (* ? [...]); a pattern without glob characters is a plain
 * comparison.  A lone number-valued operand is true when non-zero.
 */
#define _GNU_SOURCE
#include "vg_internal.h"
#include "vg_filter_eval.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { N_OR, N_AND, N_NOT, N_CMP_INT, N_CMP_STR, N_TRUTH, N_CONST };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MATCH };
enum {
	G_CONST, G_FIELD, G_ARRAY, G_PID, G_TID, G_PPID, G_CPU, G_TS, G_COMM,
	G_STRFIELD, G_CGROUP, G_CGROUP_ID,
};

typedef VgFilterGetter Getter;	/* kind: G_* */

typedef struct Node Node;
struct Node {
	guint8 type;
	guint8 op;
	gboolean unsigned_cmp;
	gboolean glob;
	Node *a, *b;
	Getter l, r;
	char *pat;		/* N_CMP_STR */
	gsize pat_len;
};

/* The tree is compiled into a branch program (vg_filter_eval.h): one
 * leaf per comparison, each naming the leaf to test next when it holds
 * and when it does not.  `a && b` tests a, then b only if a held; `!`
 * swaps the two targets; constants disappear.  Evaluation is a loop
 * over leaves, no recursion. */
typedef VgFilterLeaf Leaf;
enum {
	F_ACCEPT = VG_FILTER_ACCEPT, F_REJECT = VG_FILTER_REJECT,
	L_FIXED = VG_FL_U8,	/* + VG_RD_* */
	L_TID = VG_FL_TID, L_PID = VG_FL_PID, L_PPID = VG_FL_PPID,
	L_CPU = VG_FL_CPU, L_TS = VG_FL_TS,
	L_GET = VG_FL_GET, L_INT = VG_FL_INT, L_STR = VG_FL_STR,
	L_TRUTH = VG_FL_TRUTH,
};
/* the fixed-prefix codes read as the core's readers do */
G_STATIC_ASSERT(VG_FL_U8 + VG_RD_U8 == VG_FL_U8 && VG_FL_U8 + VG_RD_U16 == VG_FL_U16 &&
		VG_FL_U8 + VG_RD_U32 == VG_FL_U32 && VG_FL_U8 + VG_RD_U64 == VG_FL_U64 &&
		VG_FL_U8 + VG_RD_S8 == VG_FL_S8 && VG_FL_U8 + VG_RD_S16 == VG_FL_S16 &&
		VG_FL_U8 + VG_RD_S32 == VG_FL_S32 && VG_FL_U8 + VG_RD_S64 == VG_FL_S64);

/* ---- glob ------------------------------------------------------------- */

/* Match one [...] class at p (after '['); returns the position after
 * ']' in *end and whether c matched.  FALSE with *end NULL: malformed. */
static gboolean class_match(const char *p, const char *pend, char c,
			    const char **end)
{
	gboolean neg = FALSE, hit = FALSE;
	const char *q = p;

	if (q < pend && (*q == '!' || *q == '^')) {
		neg = TRUE;
		q++;
	}
	if (q < pend && *q == ']') {	/* leading ] is literal */
		hit = c == ']';
		q++;
	}
	while (q < pend && *q != ']') {
		char lo = *q, hi;

		if (lo == '\\' && q + 1 < pend)
			lo = *++q;
		hi = lo;
		if (q + 2 < pend && q[1] == '-' && q[2] != ']') {
			hi = q[2];
			if (hi == '\\' && q + 3 < pend) {
				hi = q[3];
				q++;
			}
			q += 2;
		}
		if ((guchar)c >= (guchar)lo && (guchar)c <= (guchar)hi)
			hit = TRUE;
		q++;
	}
	if (q >= pend) {
		*end = NULL;
		return FALSE;
	}
	*end = q + 1;
	return hit != neg;
}

static gboolean glob_match(const char *p, gsize plen, const char *s, gsize slen)
{
	const char *pend = p + plen, *send = s + slen;
	const char *star_p = NULL, *star_s = NULL;

	while (s < send) {
		if (p < pend && *p == '*') {
			while (p < pend && *p == '*')
				p++;
			if (p == pend)
				return TRUE;
			star_p = p;
			star_s = s;
			continue;
		}
		if (p < pend) {
			if (*p == '?') {
				p++;
				s++;
				continue;
			}
			if (*p == '[') {
				const char *end;

				if (class_match(p + 1, pend, *s, &end)) {
					p = end;
					s++;
					continue;
				}
				if (!end && *s == '[') {	/* malformed: literal */
					p++;
					s++;
					continue;
				}
			} else {
				char pc = *p;
				const char *np = p + 1;

				if (pc == '\\' && np < pend)
					pc = *np++;
				if (pc == *s) {
					p = np;
					s++;
					continue;
				}
			}
		}
		if (!star_p)
			return FALSE;
		p = star_p;
		s = ++star_s;
	}
	while (p < pend && *p == '*')
		p++;
	return p == pend;
}

static gboolean has_glob(const char *p, gsize n)
{
	gsize i;

	for (i = 0; i < n; i++)
		if (p[i] == '*' || p[i] == '?' || p[i] == '[' || p[i] == '\\')
			return TRUE;
	return FALSE;
}

/* ---- lexer ------------------------------------------------------------- */

enum { T_END, T_NAME, T_NUM, T_STR, T_OP };

typedef struct {
	int type;
	guint col;		/* 1-based */
	char *text;		/* NAME, STR (unescaped), OP */
	gsize len;		/* STR length */
	guint64 num;
} FTok;

typedef struct {
	const char *s;
	gsize pos;
	FTok tok;
	const VgEventClass *cls;
	GError **error;
	gboolean failed;
	guint depth;		/* '(' and '!' being parsed (parse_unary) */
	guint n_ops;		/* && and || so far */
} FParser;

/* The parser recurses on '(' and '!', and the tree (evaluated and freed
 * recursively) grows one level per && or ||: both are bounded. */
#define FILTER_MAX_DEPTH 64
#define FILTER_MAX_OPS 1024

G_GNUC_PRINTF(3, 4)
static gboolean ferr(FParser *P, guint col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (P->failed)
		return FALSE;
	P->failed = TRUE;
	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(P->error, VG_ERROR, VG_ERROR_PARSE, "filter: %s at column %u",
		    msg, col);
	g_free(msg);
	return FALSE;
}

static gboolean lex(FParser *P)
{
	const char *s = P->s;
	gsize i = P->pos;
	FTok *t = &P->tok;

	g_free(t->text);
	memset(t, 0, sizeof(*t));
	while (s[i] && g_ascii_isspace(s[i]))
		i++;
	t->col = i + 1;
	if (!s[i]) {
		t->type = T_END;
		P->pos = i;
		return TRUE;
	}
	if (g_ascii_isalpha(s[i]) || s[i] == '_') {
		gsize b = i;

		while (g_ascii_isalnum(s[i]) || s[i] == '_')
			i++;
		t->type = T_NAME;
		t->text = g_strndup(s + b, i - b);
	} else if (g_ascii_isdigit(s[i])) {
		gsize b = i;
		char *end;

		while (g_ascii_isalnum(s[i]))
			i++;
		t->text = g_strndup(s + b, i - b);
		errno = 0;
		t->num = g_ascii_strtoull(t->text, &end, 0);
		if (*end || errno)
			return ferr(P, t->col, "bad number '%s'", t->text);
		t->type = T_NUM;
	} else if (s[i] == '"' || s[i] == '\'') {
		char q = s[i++];
		GString *str = g_string_new(NULL);

		while (s[i] && s[i] != q) {
			if (s[i] == '\\' && s[i + 1]) {
				/* keep escapes for the glob matcher, except
				 * for the quote itself */
				if (s[i + 1] == q) {
					g_string_append_c(str, q);
					i += 2;
					continue;
				}
				g_string_append_c(str, s[i++]);
			}
			g_string_append_c(str, s[i++]);
		}
		if (!s[i]) {
			g_string_free(str, TRUE);
			return ferr(P, t->col, "unterminated string");
		}
		i++;
		t->type = T_STR;
		t->len = str->len;
		t->text = g_string_free(str, FALSE);
	} else {
		static const char *const ops[] = {
			"==", "!=", "<=", ">=", "&&", "||", "=~",
			"<", ">", "!", "(", ")", "[", "]", "-",
		};
		guint k;

		for (k = 0; k < G_N_ELEMENTS(ops); k++)
			if (strncmp(s + i, ops[k], strlen(ops[k])) == 0)
				break;
		if (k == G_N_ELEMENTS(ops)) {
			if (s[i] == '=')
				return ferr(P, t->col, "unexpected '=' (use '==')");
			if (s[i] == '&' || s[i] == '|')
				return ferr(P, t->col, "unexpected '%c' (use '%c%c')",
					    s[i], s[i], s[i]);
			return ferr(P, t->col, "unexpected '%c'", s[i]);
		}
		t->type = T_OP;
		t->text = g_strdup(ops[k]);
		i += strlen(ops[k]);
	}
	P->pos = i;
	return TRUE;
}

static gboolean is_op(FParser *P, const char *op)
{
	return P->tok.type == T_OP && strcmp(P->tok.text, op) == 0;
}

static const char *tok_name(FTok *t, char *buf, gsize n)
{
	switch (t->type) {
	case T_END: return "end of expression";
	case T_STR: g_snprintf(buf, n, "\"%.30s\"", t->text); return buf;
	default: g_snprintf(buf, n, "'%.30s'", t->text); return buf;
	}
}

/* ---- parser -------------------------------------------------------------- */

static void node_free(Node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	g_free(n->pat);
	g_free(n);
}

typedef struct {
	int kind;		/* 0 number, 1 string value, 2 string literal */
	Getter g;
	char *str;		/* literal */
	gsize len;
	guint col;
	char *name;		/* for messages */
	gboolean maybe_string;	/* derived syscall argument */
	gboolean any;		/* syntax only: a field of unknown type */
} Operand;

static gboolean parse_operand(FParser *P, Operand *o)
{
	FTok *t = &P->tok;
	char buf[64];

	memset(o, 0, sizeof(*o));
	o->col = t->col;
	if (is_op(P, "-")) {
		if (!lex(P))
			return FALSE;
		if (t->type != T_NUM)
			return ferr(P, t->col, "expected a number after '-', got %s",
				    tok_name(t, buf, sizeof(buf)));
		/* down to -2^63, negated in unsigned arithmetic (negating
		 * INT64_MIN is undefined) */
		if (t->num > (guint64)G_MAXINT64 + 1)
			return ferr(P, t->col, "number -%" G_GUINT64_FORMAT
				    " out of range (a 64-bit signed integer)", t->num);
		o->kind = 0;
		o->g.kind = G_CONST;
		o->g.value = (gint64)(0 - t->num);
		return lex(P);
	}
	if (t->type == T_NUM) {
		o->kind = 0;
		o->g.kind = G_CONST;
		o->g.value = (gint64)t->num;
		o->g.is_unsigned = t->num > G_MAXINT64;
		return lex(P);
	}
	if (t->type == T_STR) {
		o->kind = 2;
		o->str = g_memdup2(t->text, t->len + 1);
		o->len = t->len;
		return lex(P);
	}
	if (t->type == T_NAME) {
		const char *n = t->text;
		int idx;

		o->name = g_strdup(n);
		if (strcmp(n, "common_pid") == 0) {
			o->g.kind = G_PID;
		} else if (strcmp(n, "common_tid") == 0) {
			o->g.kind = G_TID;
		} else if (strcmp(n, "common_ppid") == 0) {
			o->g.kind = G_PPID;
		} else if (strcmp(n, "common_cpu") == 0) {
			o->g.kind = G_CPU;
		} else if (strcmp(n, "common_ts") == 0) {
			o->g.kind = G_TS;
			o->g.is_unsigned = TRUE;
		} else if (strcmp(n, "common_comm") == 0) {
			o->kind = 1;
			o->g.kind = G_COMM;
		} else if (strcmp(n, "common_cgroup") == 0) {
			o->kind = 1;
			o->g.kind = G_CGROUP;
		} else if (strcmp(n, "common_cgroup_id") == 0) {
			o->g.kind = G_CGROUP_ID;
			o->g.is_unsigned = TRUE;
		} else if (P->cls && (idx = vg_class_field_index(P->cls, n)) >= 0) {
			const VgField *f = &P->cls->fields[idx];

			o->g.idx = idx;
			switch (f->kind) {
			case VG_FIELD_INT:
			case VG_FIELD_UINT:
				o->g.kind = G_FIELD;
				o->g.is_unsigned = f->kind == VG_FIELD_UINT &&
					f->elem_size == 8;
				o->maybe_string = (P->cls->flags & VG_CLASS_SYSCALL_ENTER) != 0;
				break;
			case VG_FIELD_CHARS:
			case VG_FIELD_STRING:
				o->kind = 1;
				o->g.kind = G_STRFIELD;
				break;
			case VG_FIELD_INT_ARRAY:
			case VG_FIELD_UINT_ARRAY:
				o->g.kind = G_ARRAY;
				o->g.is_unsigned = f->kind == VG_FIELD_UINT_ARRAY &&
					f->elem_size == 8;
				break;
			}
			if (o->g.kind == G_ARRAY) {
				guint col = t->col;

				if (!lex(P))
					return FALSE;
				if (!is_op(P, "["))
					return ferr(P, P->tok.col,
						    "array field '%s' needs an index: %s[N]",
						    o->name, o->name);
				if (!lex(P))
					return FALSE;
				if (t->type != T_NUM)
					return ferr(P, t->col, "expected an index, got %s",
						    tok_name(t, buf, sizeof(buf)));
				if (t->num >= f->length)
					return ferr(P, t->col, "index %" G_GUINT64_FORMAT
						    " out of range for '%s' (length %u)",
						    t->num, o->name, f->length);
				o->g.elem = t->num;
				if (!lex(P))
					return FALSE;
				if (!is_op(P, "]"))
					return ferr(P, P->tok.col, "expected ']' after index of '%s'",
						    o->name);
				(void)col;
			}
		} else if (!P->cls) {
			/* syntax only: a field of the class to come, of any
			 * type (number or text), maybe an array: NAME[N] */
			o->g.kind = G_CONST;
			o->maybe_string = TRUE;
			o->any = TRUE;
			if (!lex(P))
				return FALSE;
			if (!is_op(P, "["))
				return TRUE;
			if (!lex(P))
				return FALSE;
			if (t->type != T_NUM)
				return ferr(P, t->col, "expected an index, got %s",
					    tok_name(t, buf, sizeof(buf)));
			if (!lex(P))
				return FALSE;
			if (!is_op(P, "]"))
				return ferr(P, P->tok.col,
					    "expected ']' after index of '%s'",
					    o->name);
		} else {
			return ferr(P, t->col, "unknown field '%s'", n);
		}
		return lex(P);
	}
	return ferr(P, t->col, "expected a field, number or string, got %s",
		    tok_name(t, buf, sizeof(buf)));
}

static void operand_clear(Operand *o)
{
	g_free(o->str);
	g_free(o->name);
}

static Node *parse_or(FParser *P);

static Node *parse_cmp(FParser *P)
{
	Operand l = { 0 }, r = { 0 };
	Node *n = NULL;
	int op = -1;
	guint op_col;
	static const char *const names[] = { "==", "!=", "<", "<=", ">", ">=", "=~" };
	guint k;

	if (!parse_operand(P, &l))
		goto out_l;
	op_col = P->tok.col;
	for (k = 0; k < G_N_ELEMENTS(names); k++)
		if (is_op(P, names[k]))
			op = k;
	if (op < 0) {
		/* a lone operand */
		if (l.kind != 0) {
			ferr(P, l.col, "%s alone is not a condition (compare it)",
			     l.kind == 2 ? "a string" : "a text field");
			goto out_l;
		}
		n = g_new0(Node, 1);
		n->type = l.g.kind == G_CONST ? N_CONST : N_TRUTH;
		n->l = l.g;
		operand_clear(&l);
		return n;
	}
	if (!lex(P) || !parse_operand(P, &r))
		goto out_r;
	/* strings on either side */
	if (l.kind == 2 && r.kind != 2) {
		Operand tmp = l;

		l = r;
		r = tmp;
		if (op == OP_LT) op = OP_GT;
		else if (op == OP_GT) op = OP_LT;
		else if (op == OP_LE) op = OP_GE;
		else if (op == OP_GE) op = OP_LE;
	}
	n = g_new0(Node, 1);
	n->op = op == 6 ? OP_MATCH : op;
	if (r.kind == 2 || l.kind == 1 || r.kind == 1) {
		if (l.kind == 0 && !l.maybe_string) {
			ferr(P, l.col, "cannot compare number %s%s%s with a string",
			     l.name ? "field '" : "", l.name ? l.name : "",
			     l.name ? "'" : "");
			goto fail;
		}
		if (r.kind != 2) {
			if (r.kind == 1 && l.kind == 1)
				ferr(P, r.col, "comparing two text fields is not supported");
			else if (r.kind == 1 && l.any)
				ferr(P, r.col, "text field '%s' must be compared with a string",
				     r.name ? r.name : "?");
			else
				ferr(P, r.col, "text field '%s' must be compared with a string",
				     l.name ? l.name : "?");
			goto fail;
		}
		if (l.kind == 2) {
			ferr(P, l.col, "comparing two strings: one side must be a field");
			goto fail;
		}
		if (n->op != OP_EQ && n->op != OP_NE && n->op != OP_MATCH) {
			ferr(P, op_col, "operator '%s' needs numbers (strings take ==, != or =~)",
			     names[op]);
			goto fail;
		}
		n->type = N_CMP_STR;
		n->l = l.g;
		if (l.kind == 0)	/* derived syscall argument */
			n->l.kind = G_STRFIELD;
		n->pat = r.str;
		n->pat_len = r.len;
		r.str = NULL;
		n->glob = has_glob(n->pat, n->pat_len);
	} else {
		if (n->op == OP_MATCH) {
			ferr(P, op_col, "operator '=~' needs a string pattern");
			goto fail;
		}
		n->type = N_CMP_INT;
		n->l = l.g;
		n->r = r.g;
		/* unsigned when a 64-bit unsigned value meets a non-negative one */
		n->unsigned_cmp = (l.g.is_unsigned || r.g.is_unsigned) &&
			!(l.g.kind == G_CONST && l.g.value < 0 && !l.g.is_unsigned) &&
			!(r.g.kind == G_CONST && r.g.value < 0 && !r.g.is_unsigned);
	}
	operand_clear(&l);
	operand_clear(&r);
	return n;
fail:
	g_free(n);
	n = NULL;
out_r:
	operand_clear(&r);
out_l:
	operand_clear(&l);
	return n;
}

static Node *parse_unary_nested(FParser *P);

static Node *parse_unary(FParser *P)
{
	Node *n;

	if ((is_op(P, "!") || is_op(P, "(")) && P->depth >= FILTER_MAX_DEPTH) {
		ferr(P, P->tok.col, "'(' and '!' nested deeper than %d",
		     FILTER_MAX_DEPTH);
		return NULL;
	}
	P->depth++;
	n = parse_unary_nested(P);
	P->depth--;
	return n;
}

static Node *parse_unary_nested(FParser *P)
{
	if (is_op(P, "!")) {
		Node *n, *a;

		if (!lex(P))
			return NULL;
		a = parse_unary(P);
		if (!a)
			return NULL;
		n = g_new0(Node, 1);
		n->type = N_NOT;
		n->a = a;
		return n;
	}
	if (is_op(P, "(")) {
		guint col = P->tok.col;
		Node *n;

		if (!lex(P))
			return NULL;
		n = parse_or(P);
		if (!n)
			return NULL;
		if (!is_op(P, ")")) {
			char buf[64];

			ferr(P, P->tok.col, "expected ')' to close '(' of column %u, got %s",
			     col, tok_name(&P->tok, buf, sizeof(buf)));
			node_free(n);
			return NULL;
		}
		if (!lex(P)) {
			node_free(n);
			return NULL;
		}
		return n;
	}
	return parse_cmp(P);
}

static Node *parse_bin(FParser *P, gboolean is_or)
{
	Node *l = is_or ? parse_bin(P, FALSE) : parse_unary(P);

	while (l && is_op(P, is_or ? "||" : "&&")) {
		Node *r, *n;

		if (++P->n_ops > FILTER_MAX_OPS) {
			ferr(P, P->tok.col, "more than %d && and || operators",
			     FILTER_MAX_OPS);
			node_free(l);
			return NULL;
		}
		if (!lex(P)) {
			node_free(l);
			return NULL;
		}
		r = is_or ? parse_bin(P, FALSE) : parse_unary(P);
		if (!r) {
			node_free(l);
			return NULL;
		}
		n = g_new0(Node, 1);
		n->type = is_or ? N_OR : N_AND;
		n->a = l;
		n->b = r;
		l = n;
	}
	return l;
}

static Node *parse_or(FParser *P)
{
	return parse_bin(P, TRUE);
}

/* ---- the branch program ------------------------------------------------ */

static guint count_leaves(const Node *n)
{
	switch (n->type) {
	case N_AND:
	case N_OR:
		return count_leaves(n->a) + count_leaves(n->b);
	case N_NOT:
		return count_leaves(n->a);
	case N_CONST:
		return 0;
	default:
		return 1;
	}
}

static guint8 mirror_op(guint8 op)
{
	switch (op) {
	case OP_LT: return OP_GT;
	case OP_GT: return OP_LT;
	case OP_LE: return OP_GE;
	case OP_GE: return OP_LE;
	default: return op;
	}
}

/* L->l OP constant L->r as a range of unsigned values (signed ones with
 * their sign bit flipped keep their order). */
static void set_range(Leaf *L, gboolean uns)
{
	guint64 flip = uns ? 0 : (guint64)1 << 63;
	guint64 c = (guint64)L->r.value ^ flip, lo = 0, hi = G_MAXUINT64;
	gboolean neg = FALSE, empty = FALSE;

	switch (L->op) {
	case OP_EQ: lo = hi = c; break;
	case OP_NE: lo = hi = c; neg = TRUE; break;
	case OP_LT: if (c == 0) empty = TRUE; else hi = c - 1; break;
	case OP_LE: hi = c; break;
	case OP_GT: if (c == G_MAXUINT64) empty = TRUE; else lo = c + 1; break;
	case OP_GE: lo = c; break;
	}
	if (empty) {		/* never: outside everything */
		lo = 0;
		hi = G_MAXUINT64;
		neg = TRUE;
	}
	L->code = L_GET;
	L->flip = flip;
	L->lo = lo;
	L->span = hi - lo;
	L->neg = neg;
}

/* Emit n, going to t when it holds and to f when not; returns where to
 * start testing n.  The leaves of b are emitted before those of a (a's
 * targets must be known), so leaves come in reverse order of the text. */
static gint32 emit(VgFilter *f, const Node *n, const VgEventClass *cls,
		   gint32 t, gint32 fl)
{
	Leaf *L;

	switch (n->type) {
	case N_AND:
		return emit(f, n->a, cls, emit(f, n->b, cls, t, fl), fl);
	case N_OR:
		return emit(f, n->a, cls, t, emit(f, n->b, cls, t, fl));
	case N_NOT:
		return emit(f, n->a, cls, fl, t);
	case N_CONST:
		return n->l.value != 0 ? t : fl;
	}
	L = &f->prog[f->n_leaves];
	memset(L, 0, sizeof(*L));
	L->t = t;
	L->f = fl;
	L->l = n->l;
	L->r = n->r;
	L->op = n->op;
	switch (n->type) {
	case N_TRUTH:
		L->code = L_TRUTH;
		break;
	case N_CMP_STR:
		L->code = L_STR;
		L->glob = n->glob;
		L->pat = n->pat;
		L->pat_len = n->pat_len;
		break;
	case N_CMP_INT:
		L->code = L_INT;
		/* the constant on the right */
		if (L->l.kind == G_CONST && L->r.kind != G_CONST) {
			Getter g = L->l;

			L->l = L->r;
			L->r = g;
			L->op = mirror_op(L->op);
		}
		if (L->r.kind == G_CONST)
			set_range(L, n->unsigned_cmp);
		if (n->unsigned_cmp)
			L->op += 6;
		if (L->code == L_GET) {
			switch (L->l.kind) {
			case G_TID: L->code = L_TID; break;
			case G_PID: L->code = L_PID; break;
			case G_PPID: L->code = L_PPID; break;
			case G_CPU: L->code = L_CPU; break;
			case G_TS: L->code = L_TS; break;
			}
		}
		if (cls && !cls->flags && L->l.kind == G_FIELD &&
		    L->r.kind == G_CONST) {
			const VgClassLayout *CL = cls->priv;

			/* fields before n_fixed lie within what the record
			 * iterator checked (L->off[n_fixed] <= payload) */
			if (L->l.idx < CL->n_fixed && CL->rd[L->l.idx] != VG_RD_NONE) {
				L->code = L_FIXED + CL->rd[L->l.idx];
				L->off = CL->off[L->l.idx];
			}
		}
		break;
	}
	return (gint32)f->n_leaves++;
}

static void compile_prog(VgFilter *f, const VgEventClass *cls)
{
	f->prog = g_new(Leaf, MAX(count_leaves((Node *)f->root), 1));
	f->n_leaves = 0;
	f->start = emit(f, (Node *)f->root, cls, F_ACCEPT, F_REJECT);
}

VgFilter *vg_filter_compile(const char *expr, const VgEventClass *cls,
			    GError **error)
{
	FParser P = { 0 };
	Node *root;
	VgFilter *f;

	P.s = expr;
	P.cls = cls;
	P.error = error;
	if (!lex(&P))
		goto fail;
	if (P.tok.type == T_END) {
		ferr(&P, P.tok.col, "empty expression");
		goto fail;
	}
	root = parse_or(&P);
	if (!root)
		goto fail;
	if (P.tok.type != T_END) {
		char buf[64];

		ferr(&P, P.tok.col, "unexpected %s (expected && or ||)",
		     tok_name(&P.tok, buf, sizeof(buf)));
		node_free(root);
		goto fail;
	}
	g_free(P.tok.text);
	if (!cls) {
		/* syntax only: nothing to evaluate (matches no event) */
		node_free(root);
		root = g_new0(Node, 1);
		root->type = N_CONST;
		root->l.kind = G_CONST;
		root->l.value = 0;
	}
	f = g_new0(VgFilter, 1);
	f->root = root;
	f->expr = g_strdup(expr);
	compile_prog(f, cls);
	return f;
fail:
	g_free(P.tok.text);
	return NULL;
}

void vg_filter_free(VgFilter *f)
{
	if (!f)
		return;
	node_free((Node *)f->root);
	g_free(f->expr);
	g_free(f->prog);
	g_free(f);
}

/* ---- evaluation ------------------------------------------------------------ */

static inline gint64 get_int(const Getter *g, VgEvent *e)
{
	switch (g->kind) {
	case G_CONST: return g->value;
	case G_FIELD: return vg_event_int(e, g->idx);
	case G_ARRAY: return vg_event_array_int(e, g->idx, g->elem);
	case G_PID: return e->task->pid;
	case G_TID: return e->tid;
	case G_PPID: return e->task->ppid;
	case G_CPU: return e->cpu;
	case G_TS: return (gint64)e->ts;
	case G_CGROUP_ID: return e->task->cgroup ? (gint64)e->task->cgroup->id : 0;
	default: return 0;
	}
}

static inline const char *get_str(const Getter *g, VgEvent *e, gsize *len)
{
	const char *s;

	if (g->kind == G_COMM) {
		*len = strnlen(e->task->comm, sizeof(e->task->comm));
		return e->task->comm;
	}
	if (g->kind == G_CGROUP) {
		s = vg_cgroup_path(e->task->cgroup);
		*len = strlen(s);
		return s;
	}
	s = vg_event_str(e, g->idx, len);
	if (!s) {
		*len = 0;
		return "";
	}
	return s;
}

static inline gboolean cmp_op(guint8 op, gint64 a, gint64 b)
{
	switch (op) {
	case OP_EQ: return a == b;
	case OP_NE: return a != b;
	case OP_LT: return a < b;
	case OP_LE: return a <= b;
	case OP_GT: return a > b;
	case OP_GE: return a >= b;
	case OP_EQ + 6: return (guint64)a == (guint64)b;
	case OP_NE + 6: return (guint64)a != (guint64)b;
	case OP_LT + 6: return (guint64)a < (guint64)b;
	case OP_LE + 6: return (guint64)a <= (guint64)b;
	case OP_GT + 6: return (guint64)a > (guint64)b;
	case OP_GE + 6: return (guint64)a >= (guint64)b;
	}
	return FALSE;
}

/* Any leaf (those that call out too: fields after strings, text, two
 * getters). */
static gboolean leaf_test(const Leaf *L, VgEvent *e)
{
	gint64 v;

	if (vg_filter_near_value(L, e, &v))
		return vg_filter_in_range(L, v);
	switch (L->code) {
	case L_GET:
		return vg_filter_in_range(L, get_int(&L->l, e));
	case L_INT:
		return cmp_op(L->op, get_int(&L->l, e), get_int(&L->r, e));
	case L_TRUTH:
		return get_int(&L->l, e) != 0;
	case L_STR: {
		gsize len;
		const char *s = get_str(&L->l, e, &len);
		gboolean m;

		if (L->glob)
			m = glob_match(L->pat, L->pat_len, s, len);
		else
			m = len == L->pat_len && memcmp(s, L->pat, len) == 0;
		return L->op == OP_NE ? !m : m;
	}
	}
	return FALSE;
}

gboolean vg_filter_match_from(const VgFilter *f, VgEvent *e, gint32 i)
{
	while (i >= 0) {
		const Leaf *L = &f->prog[i];

		i = leaf_test(L, e) ? L->t : L->f;
	}
	return i == F_ACCEPT;
}

gboolean vg_filter_match(const VgFilter *f, VgEvent *e)
{
	return vg_filter_match_inline(f, e);
}
