"""Idempotent: move the asserts of teaching cells into collapsed check cells; NBVAL comments -> tags.

usage: python .ci/split_check_cells.py notebooks/NN_x.ipynb ...  (then re-execute the changed notebooks)   (prints what it changed and what it could not)
"""
import ast
import sys

import nbformat

CHECK_HEADER = "# Check: the numbers above"
MARKERS = {"NBVAL_IGNORE_OUTPUT": "nbval-ignore-output", "NBVAL_CHECK_OUTPUT": "nbval-check-output",
           "NBVAL_RAISES_EXCEPTION": "raises-exception", "NBVAL_SKIP": "nbval-skip"}
CHEAP_ITER = {"items", "values", "keys", "zip", "range", "enumerate", "sorted", "list", "tuple"}


def is_check_cell(cell):
    return cell.cell_type == "code" and cell.source.lstrip().startswith("# Check")


def names_used(node):
    """Names read, including the targets of augmented assignments (x += 1 reads x)."""
    used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    used |= {n.target.id for n in ast.walk(node) if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
    return used


def names_stored(node):
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            out.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            out.add(n.name)
    return out


def only_checks(stmts):
    """True if these statements do nothing but assert (possibly inside if/for)."""
    for s in stmts:
        if isinstance(s, ast.Assert):
            continue
        if isinstance(s, ast.If) and only_checks(s.body) and only_checks(s.orelse):
            continue
        if isinstance(s, ast.For) and only_checks(s.body) and not s.orelse:
            continue
        return False
    return True


def has_assert(node):
    return any(isinstance(n, ast.Assert) for n in ast.walk(node))


def is_pure_assign(s):
    return isinstance(s, (ast.Assign, ast.AnnAssign)) and not any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in
        ("spawn", "normal", "standard_normal", "integers", "uniform", "random", "permutation", "choice", "show")
        or isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("print", "display")
        for n in ast.walk(s))


def cheap_iter(node):
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if name not in CHEAP_ITER:
                return False
    return True


class Unsplittable(Exception):
    pass


def segment(lines, node, with_comments=True):
    """Source lines of a statement, with the comment lines right above it."""
    start, end = node.lineno - 1, node.end_lineno
    if with_comments:
        while start > 0 and lines[start - 1].strip().startswith("#") and not lines[start - 1].strip().startswith("# NBVAL"):
            start -= 1
    return start, end


def split_body(lines, stmts, indent):
    """(teach_lines, check_lines) for a list of statements (a loop body), or raise Unsplittable."""
    checks = [s for s in stmts if only_checks([s])]
    nested = {}
    for s in stmts:
        if s not in checks and isinstance(s, ast.For) and has_assert(s):
            if not cheap_iter(s.iter) or s.orelse:
                raise Unsplittable(f"loop at line {s.lineno} iterates over a call with side effects")
            t, c = split_body(lines, s.body, None)
            header = lines[s.lineno - 1:s.body[0].lineno - 1]
            nested[s] = (header + t if t else [], header + c)
    rest = [s for s in stmts if s not in checks and s not in nested]
    if any(has_assert(s) for s in rest):
        raise Unsplittable("nested mixed statement")
    checks_and_nested = checks + list(nested)
    needed = set().union(*(names_used(s) for s in checks_and_nested)) if checks_and_nested else set()
    teach_used = set().union(*(names_used(s) for s in rest)) if rest else set()
    support = []
    for s in reversed(rest):                  # what the checks need, transitively
        if names_stored(s) & needed:
            if not is_pure_assign(s):
                raise Unsplittable(f"check needs a non-pure statement at line {s.lineno}")
            support.insert(0, s)
            needed |= names_used(s)
    teach, check = [], []
    for s in stmts:
        a, b = segment(lines, s, with_comments=s in checks)
        if s in nested:
            teach += nested[s][0]
            check += nested[s][1]
        elif s in checks:
            check += lines[a:b]
        elif s in support:
            check += lines[a:b]
            teach += lines[a:b] if names_stored(s) & teach_used else []
        else:
            teach += lines[a:b]
    return teach, check


def split_cell(source, later_names=frozenset()):
    """(teach_source, check_source) or None if the cell has no assert."""
    lines = source.split("\n")
    tree = ast.parse(source)
    if not has_assert(tree):
        return None
    stmts = tree.body
    move = set()                              # indices of top-level statements moved whole
    partial = {}                              # index -> (teach_lines, check_lines) for mixed loops
    for i, s in enumerate(stmts):
        if only_checks([s]):
            move.add(i)
        elif isinstance(s, ast.For) and has_assert(s):
            if not cheap_iter(s.iter) or s.orelse:
                raise Unsplittable(f"loop at line {s.lineno} iterates over a call with side effects")
            body_indent = " " * s.body[0].col_offset
            teach, check = split_body(lines, s.body, body_indent)
            header = lines[s.lineno - 1:s.body[0].lineno - 1]
            partial[i] = (header + teach if teach else [], header + check)
        elif has_assert(s):
            raise Unsplittable(f"assert inside {type(s).__name__} at line {s.lineno}")
    # pure assignments used only by moved statements (and by no teaching statement after them) move too
    changed = True
    while changed:
        changed = False
        for i, s in enumerate(stmts):
            if i in move or i in partial or not is_pure_assign(s):
                continue
            stored = names_stored(s)
            later_teach = [t for j, t in enumerate(stmts) if j > i and j not in move]
            used_by_teach = set().union(*(names_used(t) for j, t in enumerate(stmts) if j > i and j not in move
                                          and j not in partial)) if later_teach else set()
            used_by_teach |= set().union(*(names_used(ast.Module(body=[ast.parse("\n".join(partial[j][0]).strip() or "pass")], type_ignores=[]))
                                           for j in partial if j > i)) if partial else set()
            used_by_teach |= set(later_names)
            used_by_check = set().union(*(names_used(stmts[j]) for j in move if j > i)) if move else set()
            used_by_check |= set().union(*(names_used(stmts[j]) for j in partial if j > i)) if partial else set()
            if stored and stored & used_by_check and not stored & used_by_teach:
                move.add(i)
                changed = True
    teach, check = [], []
    prev_end = 0
    taken = set()
    for i, s in enumerate(stmts):
        a, b = segment(lines, s, with_comments=(i in move))
        gap = [ln for k, ln in enumerate(lines[prev_end:a], start=prev_end) if k not in taken]
        teach += gap
        if i in move:
            check += lines[a:b]
        elif i in partial:
            t, c = partial[i]
            teach += t
            check += c
        else:
            teach += lines[a:b]
        taken.update(range(a, b))
        prev_end = b
    teach += lines[prev_end:]
    teach_src = "\n".join(teach).strip("\n")
    while "\n\n\n" in teach_src:
        teach_src = teach_src.replace("\n\n\n", "\n\n")
    # drop trailing comment lines that introduced the checks ("# the claims of the next sentence")
    tl = teach_src.split("\n")
    while tl and tl[-1].strip().startswith("#") and not tl[-1].strip().startswith("# NBVAL"):
        check.insert(0, tl.pop())
    teach_src = "\n".join(tl).rstrip()
    # a bare call that now ends the cell would have its value displayed (it did not before): assign it to _
    # (a trailing ';' is not enough: nbval's kernel displays the value anyway)
    kept = [s for i, s in enumerate(stmts) if i not in move]
    if kept and kept[-1] is not stmts[-1] and isinstance(kept[-1], ast.Expr) and isinstance(kept[-1].value, ast.Call):
        func = kept[-1].value.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name not in ("print", "display", "show"):
            tl = teach_src.split("\n")
            start_text = lines[kept[-1].lineno - 1]
            k = max(i for i, ln in enumerate(tl) if ln == start_text)
            tl[k] = "_ = " + tl[k]
            teach_src = "\n".join(tl)
    check_src = "\n".join(ln for ln in check).strip("\n")
    for said in ("; the check cell below tests the claims)", "; the asserts check the claims)"):
        check_src = check_src.replace(said, "; these asserts check the claims)")
    while "\n\n\n" in check_src:
        check_src = check_src.replace("\n\n\n", "\n\n")
    ast.parse(teach_src or "pass")
    ast.parse(check_src)
    return teach_src, check_src


def marker_tags(cell):
    """Move '# NBVAL_...' comment lines into cell tags; return True if changed."""
    lines = cell.source.split("\n")
    tags = list(cell.metadata.get("tags", []))
    keep = []
    for ln in lines:
        word = ln.strip().lstrip("#").strip()
        if ln.strip().startswith("#") and word in MARKERS:
            if MARKERS[word] not in tags:
                tags.append(MARKERS[word])
            continue
        keep.append(ln)
    if keep == lines:
        return False
    cell.source = "\n".join(keep).lstrip("\n")
    cell.metadata["tags"] = tags
    return True


SUBSTITUTIONS = [  # (notebook name part, old text, new text): rewrites a plain split cannot do
    ("", "; the asserts check the claims)", "; the check cell below tests the claims)"),
    ("02_", """    mean, second = gaussian_moments("relu", s)
    assert math.isclose(second, s * s / 2)
print(""", """    mean, second = gaussian_moments("relu", s)
    assert math.isclose(second, s * s / 2)
    print(f"std of z {s:>4}: E[relu(z)^2] / Var[z] = {second / s**2:.3f}")
print("""),
    ("05_", """    assert str(sizes) == name
    speeds[name] = bias_gradient_norms_over_inits(sizes, X_1000, y_1000, n_nets=N_NETS, rng=child)
""", """    speeds[name] = bias_gradient_norms_over_inits(sizes, X_1000, y_1000, n_nets=N_NETS, rng=child)
assert list(speeds) == [str([784] + [30] * len(published) + [10]) for published in PUBLISHED.values()]
"""),
]


def later_names(cells):
    names = set()
    for c in cells:
        if c.cell_type == "code" and not is_check_cell(c):
            try:
                names |= names_used(ast.parse(c.source))
            except SyntaxError:
                pass
    return names


def transform(nb, name):
    out, changed, problems = [], False, []
    for cell in nb.cells:
        for part, old, new in SUBSTITUTIONS:
            if part in name and cell.cell_type == "code" and not is_check_cell(cell) and old in cell.source and (not new or new not in cell.source):
                cell.source = cell.source.replace(old, new)
                changed = True
    for idx, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            out.append(cell)
            continue
        if marker_tags(cell):
            changed = True
        if is_check_cell(cell):
            if not cell.metadata.get("jupyter", {}).get("source_hidden"):
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
                changed = True
            out.append(cell)
            continue
        try:
            result = split_cell(cell.source, later_names(nb.cells[idx + 1:]))
        except Unsplittable as e:
            problems.append(f"{name} cell {idx}: {e}")
            out.append(cell)
            continue
        if result is None:
            out.append(cell)
            continue
        teach, check = result
        figure_only = "print(" not in teach and ("plt.show" in teach or "display(" in teach)
        what = "what the figure above shows" if figure_only else "the numbers above"
        passed = ("the figure above shows what the text says" if figure_only
                  else "the numbers above are what the text says")
        check_cell = nbformat.v4.new_code_cell(f"# Check: {what}\n{check}\nprint(\"check passed: {passed}\")")
        check_cell.metadata["jupyter"] = {"source_hidden": True}
        changed = True
        if teach.strip():
            cell.source = teach
            out.append(cell)
        else:                                 # nothing left to teach: the cell becomes the check
            check_cell.metadata.update({k: v for k, v in cell.metadata.items() if k == "tags"})
        out.append(check_cell)
    nb.cells = out
    return changed, problems


def main(paths):
    all_problems = []
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        changed, problems = transform(nb, p)
        all_problems += problems
        if changed:
            nbformat.write(nb, p)
            print("changed", p)
    for pr in all_problems:
        print("CANNOT SPLIT:", pr)
    return 1 if all_problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
