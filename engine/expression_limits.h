// The limits that keep a hostile or mistaken expression from crashing the process or
// exhausting its memory: every one is checked and reported as a located error (at validation
// for the shape of an expression, at plan and run time for the values it produces). The one
// place these numbers live; docs/expressions.md ("Limits") documents them.
#pragma once

#include <cstddef>
#include <cstdint>

namespace runbook {

// Parentheses, unary operators, call arguments and indexes nested inside each other. The
// parser recurses about ten frames per level; 64 levels is far beyond any readable
// expression and keeps the parser's stack use small.
inline constexpr int kMaxExprNesting = 64;

// Height of the expression tree: a chain `a || b || ...` or `x.a.b.c...` adds a level per
// operand. Checking, evaluating, printing and freeing the tree recurse once per level (a few
// hundred bytes of stack each), so 256 levels stay well under 1 MiB even in a sanitizer
// build, while a hand-written condition rarely passes 20.
inline constexpr int kMaxExprDepth = 256;

// Nodes (literals, names, operators, calls) in one expression: bounds the work of checking
// and evaluating a single `${{ }}` regardless of its shape. 10,000 is a 100 KB expression.
inline constexpr int kMaxExprNodes = 10'000;

// Bytes of expression text one runbook file may hold in all, an alias counted each time it is
// used: parsing takes about 35 bytes of memory per byte of text, and a 10,000-node expression
// aliased on 1,000 steps (a 67 KB file) took 2.1 GB to validate (break24a M2). 2 MiB keeps
// such a file near 250 MB, and is ten times the expressions of 5,000 busy steps.
inline constexpr size_t kMaxRunbookExprBytes = size_t{2} << 20;

// Bytes of text any single value an expression produces may hold (a string, or the text of
// a template with its expressions filled in), and items (list elements plus mapping
// entries, counted through the whole value) one fromJSON() may build. A few MiB is far more
// than a parameter or an environment variable needs, and doubling `format()` nine levels
// deep reaches gigabytes long before it is useful.
inline constexpr size_t kMaxValueBytes = size_t{4} << 20;
inline constexpr size_t kMaxValueItems = 100'000;

// Work units one evaluation (a template tree: a step's `with`, `env`, `if`) may spend: one
// per node evaluated plus one per byte of text produced. 64 Mi units is under a second of
// work, and sixteen values of the maximum size.
inline constexpr int64_t kMaxEvalWork = int64_t{64} << 20;

// Work units all the expressions of one run (or one `plan`, one `validate`) may spend, every
// step, loop item, attempt and condition together: a per-step budget alone let a 5 KB runbook
// of a 1,000-item loop spend 16 Gi units, minutes of `plan` (break23a B2). 256 Mi units is
// about two seconds of work, four steps at their own limit, and thousands of times what a
// real runbook's values take.
inline constexpr int64_t kMaxRunEvalWork = int64_t{256} << 20;

// Bytes of values one step's expressions may produce in total (each template's result in its
// `env` and `with`, counted as it is kept): four values of the maximum size. Without it, a
// step with hundreds of env entries, each under kMaxValueBytes, takes gigabytes (breakI I22).
// The runbook's own `env` shares one such budget; a step's `if` has its own.
inline constexpr size_t kMaxStepValueBytes = size_t{16} << 20;

// Bytes of resolved values (steps' `env` and `with`) one `plan` shows in all: a run resolves
// one step at a time, a plan holds every step's at once; 300 steps of 9 MiB each took all
// memory (breakJ J14). Past it, a step's plan says why its values are not shown.
inline constexpr size_t kMaxPlanValueBytes = size_t{64} << 20;

}  // namespace runbook
