"""The grader's agent inside each kernel: it puts back what student cells subvert, and vouches for each test.

The grader sends this file's source to the fresh kernel, before any student cell,
and calls :func:`install`; from then on it talks to the returned :class:`Guard`
through ``user_expressions`` of execute requests (evaluated by a plain ``eval``,
without IPython's input or AST transformers). For every instructor cell (read-only
or test) of the notebook:

1. ``before(nonce)`` (a silent request) restores, and lists, everything a student
   cell changed since the last instructor cell:

   * IPython's input transformers (``input_transformers_cleanup``, ``_post``, the
     transformer manager's lists), AST transformers, event callbacks, custom
     exception handlers, and any method of the shell, the kernel, the display hook,
     the formatter or the compiler that was replaced on the instance;
   * ``sys.settrace``/``setprofile`` (also for new threads), ``sys.monitoring`` tools,
     the recursion limit, the working folder, ``sys.path`` (without the working
     folder, so a planted ``numpy.py`` cannot shadow a module a hidden test imports),
     ``sys.meta_path``, ``sys.path_hooks`` and the ``sys.modules`` entries;
   * the namespaces of the modules the instructor's notebook imports (imported here
     before any student cell: numpy, course_lib, ...) and of the standard library
     loaded so far, builtins and ``sys`` included (``sys.excepthook``, ``displayhook``,
     ``stdout``, ...): every public name, and every function or class behind a
     private one; the code, defaults and keyword defaults of every function in
     them and of every method of their classes;
   * the names the instructor's cells bound in the notebook's namespace (the test
     helpers: their values, and the code, defaults and closure of functions), and
     ``__builtins__``; a student name that shadows a builtin is removed.

2. The test runs as an ordinary cell whose last line is ``<guard>.mark(nonce)``:
   only a test that ran to its end marks its nonce.

3. ``after(nonce, names)`` (a silent request, evaluated only if the cell succeeded)
   reports whether the nonce was marked and whether anything in 1. changed *during*
   the cell (a student function patching numpy while a test calls it), then records
   the instructor cell's names and the state as the new baseline.

Both answers carry an HMAC (SHA-256) of their content keyed by a secret the grader
sent with :func:`install`, so that a stale or typed-in answer is recognised.

What this cannot do. It runs in the same process as the student's code: a student
who studies this file can find the guard object and its secret (``gc``), or patch
the kernel's message handling below the level restored here, and forge answers.
The grader's reply to that is isolation (the kernel can read nothing worth
stealing) and the record: the executed notebooks are kept for inspection. It
restores bindings and code, not the contents of mutable objects (an array a
read-only cell built and a student cell later edited in place stays edited).

Standard library only; no name from here is left in the notebook's namespace but
the guard, under a random name.
"""
import builtins as _builtins_module
import hashlib
import hmac
import json
import os
import sys
import threading
import types

_VOLATILE = {"sys": {"last_type", "last_value", "last_traceback", "last_exc", "ps1", "ps2"}}
_FUNCTION = types.FunctionType
#: Attributes of the shell and its helpers restored even though they are not callables.
_SENSITIVE = {"custom_exceptions", "ast_transformers", "input_transformers_post", "input_transformer_manager",
              "display_formatter", "displayhook", "display_pub", "compile", "events", "InteractiveTB", "SyntaxTB",
              "user_ns", "user_global_ns", "user_module", "excepthook"}
_KEPT_TYPES = (types.FunctionType, types.BuiltinFunctionType, type, types.ModuleType, classmethod, staticmethod,
               property, types.MethodType, types.WrapperDescriptorType, types.MethodDescriptorType)


def _watched(name, value):
    """Which module entries are compared: callables (functions, classes, numpy's dispatchers,
    bound methods such as ``sys.excepthook``) under any name; modules and floats
    (``math.pi``) under public names. Other data changes legitimately (caches, counters,
    ``tempfile.tempdir``), so it is not compared."""
    if callable(value):
        return True
    return not name.startswith("_") and isinstance(value, (types.ModuleType, float))


def _python_functions(value):
    """The Python functions whose code runs when ``value`` is called: itself, or what a wrapper
    wraps (``__wrapped__`` from functools.wraps, ``_implementation`` of numpy's dispatchers)."""
    if isinstance(value, _FUNCTION):
        return [value]
    found = []
    if not isinstance(value, type):
        for attr in ("__wrapped__", "_implementation"):
            try:
                inner = getattr(value, attr, None)
            except Exception:
                continue
            if isinstance(inner, _FUNCTION):
                found.append(inner)
    return found


def _function_state(f):
    return (f.__code__, f.__defaults__, f.__kwdefaults__)


class Guard:
    """See the module docstring. Built by :func:`install`."""

    def __init__(self, secret, shell, kernel, name):
        self._secret = secret.encode()
        self._shell, self._kernel, self._name = shell, kernel, name
        self._marks = set()
        self._hmac_new, self._sha256, self._dumps = hmac.new, hashlib.sha256, json.dumps
        self._settrace, self._setprofile = sys.settrace, sys.setprofile
        self._thread_settrace, self._thread_setprofile = threading.settrace, threading.setprofile
        self._builtin_namespace = vars(_builtins_module)
        self._builtin_entries = dict(self._builtin_namespace)
        self._cwd = os.getcwd()
        self._recursion = sys.getrecursionlimit()
        self._path = [p for p in sys.path if p not in ("", ".", self._cwd)]
        self._lists = {}
        self._objects = {}
        self._modules = {}
        self._classes = {}
        self._functions = {}
        self._names = {}
        self._helpers = {}
        self._sys_modules = {}
        self._monitoring = self._tools()
        self.baseline()

    # ------------------------------------------------------------ what is watched
    def _sensitive_lists(self):
        """{name: (owner, attribute or key, the list)}: lists whose contents and identity are restored."""
        shell = self._shell
        lists = {"sys.meta_path": (sys, "meta_path"), "sys.path_hooks": (sys, "path_hooks"),
                 "shell.input_transformers_post": (shell, "input_transformers_post"),
                 "shell.ast_transformers": (shell, "ast_transformers")}
        manager = getattr(shell, "input_transformer_manager", None)
        for attr in ("cleanup_transforms", "line_transforms", "token_transformers"):
            if isinstance(getattr(manager, attr, None), list):
                lists[f"shell.input_transformer_manager.{attr}"] = (manager, attr)
        callbacks = getattr(shell.events, "callbacks", {})
        for event in callbacks:
            lists[f"shell.events[{event}]"] = (callbacks, event)
        return {name: (owner, key, _get(owner, key)) for name, (owner, key) in lists.items()}

    def _sensitive_objects(self):
        shell = self._shell
        objects = {"shell": shell}
        if self._kernel is not None:
            objects["kernel"] = self._kernel
        for attr in ("displayhook", "display_pub", "display_formatter", "compile", "events",
                     "input_transformer_manager", "InteractiveTB", "SyntaxTB"):
            if getattr(shell, attr, None) is not None:
                objects[f"shell.{attr}"] = getattr(shell, attr)
        return objects

    def _tools(self):
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is None:
            return {}
        return {tool: monitoring.get_tool(tool) for tool in range(6)}

    def baseline(self):
        """Record the present state as the one to restore (after the prelude and each instructor cell)."""
        self._lists = {name: (owner, key, lst, list(lst)) for name, (owner, key, lst) in self._sensitive_lists().items()}
        self._objects = {}
        for name, obj in self._sensitive_objects().items():
            own = {k: v for k, v in vars(obj).items() if callable(v) or k in _SENSITIVE}
            traits = getattr(obj, "_trait_values", None)
            traits = {k: v for k, v in (traits or {}).items() if callable(v) or isinstance(v, list) or k in _SENSITIVE}
            self._objects[name] = (obj, own, traits)
        # Modules already recorded were just restored to their record (see after()), so only the
        # modules imported since are added: the record grows, it is never rebuilt (that is the slow part).
        user_ns = self._shell.user_ns
        for modname, module in list(sys.modules.items()):
            if not isinstance(module, types.ModuleType) or modname in self._sys_modules:
                continue
            self._sys_modules[modname] = module
            try:
                namespace = vars(module)
            except TypeError:
                continue
            if namespace is user_ns:  # __main__: the notebook's own namespace (see _names)
                continue
            entries = {k: v for k, v in list(namespace.items())
                       if _watched(k, v) and k not in _VOLATILE.get(modname, ())}
            self._modules[modname] = (module, entries)
            for value in entries.values():
                for inner in _python_functions(value):
                    self._functions[id(inner)] = (inner, _function_state(inner))
                if isinstance(value, type) and value.__module__ == modname and id(value) not in self._classes:
                    members = {k: v for k, v in list(vars(value).items()) if isinstance(v, _KEPT_TYPES)}
                    self._classes[id(value)] = (value, members)
                    for member in members.values():
                        target = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                        if isinstance(target, _FUNCTION):
                            self._functions[id(target)] = (target, _function_state(target))
        ns = self._shell.user_ns
        self._helpers = {}
        for name, value in self._names.items():
            self._names[name] = ns.get(name, value)
        for name, value in self._names.items():
            self._remember_helper(value)
        self._builtins = ns.get("__builtins__", _builtins_module)

    def _remember_helper(self, value):
        if isinstance(value, _FUNCTION):
            cells = tuple(c.cell_contents if _has_contents(c) else _EMPTY for c in (value.__closure__ or ()))
            self._helpers[id(value)] = (value, _function_state(value), cells, dict(vars(value)))

    # ------------------------------------------------------------ compare and restore
    def _restore(self):
        """Put everything back to the baseline; return the list of what had changed."""
        changed = []
        namespace = self._builtin_namespace
        saved = self._builtin_entries
        changed += [f"builtins.{k}" for k, v in saved.items() if namespace.get(k, _EMPTY) is not v and k != "_"]
        namespace.update(saved)
        for modname, module in self._sys_modules.items():
            if sys.modules.get(modname) is not module:
                changed.append(f"sys.modules[{modname!r}]")
                sys.modules[modname] = module
        for modname, (module, entries) in self._modules.items():
            namespace = vars(module)
            for key, value in entries.items():
                if namespace.get(key, _EMPTY) is not value:
                    changed.append(f"{modname}.{key}")
                    namespace[key] = value
        for cls, members in self._classes.values():
            now = vars(cls)
            for key, value in members.items():
                if now.get(key, _EMPTY) is not value:
                    changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
                    try:
                        setattr(cls, key, value)
                    except (TypeError, AttributeError):
                        pass
        for f, state in self._functions.values():
            if _function_state(f) != state:
                changed.append(f"{getattr(f, '__module__', '?')}.{f.__qualname__} (its code)")
                f.__code__, f.__defaults__, f.__kwdefaults__ = state
        if sys.gettrace() is not None:
            changed.append("sys.settrace")
        if sys.getprofile() is not None:
            changed.append("sys.setprofile")
        if getattr(threading, "_trace_hook", None) is not None or getattr(threading, "_profile_hook", None) is not None:
            changed.append("threading.settrace")
        self._settrace(None)
        self._setprofile(None)
        self._thread_settrace(None)
        self._thread_setprofile(None)
        if sys.gettrace() is not None or sys.getprofile() is not None:
            changed.append("sys.settrace could not be cleared")
        tools = self._tools()
        monitoring = getattr(sys, "monitoring", None)
        for tool, owner in tools.items():
            if owner != self._monitoring.get(tool):
                changed.append(f"sys.monitoring tool {tool} ({owner})")
                try:
                    monitoring.set_events(tool, 0)
                    monitoring.free_tool_id(tool)
                except Exception:
                    pass
        if sys.getrecursionlimit() != self._recursion:
            changed.append("sys.setrecursionlimit")
            sys.setrecursionlimit(self._recursion)
        if os.getcwd() != self._cwd:
            changed.append("os.chdir")
            os.chdir(self._cwd)
        if sys.path != self._path:
            sys.path[:] = self._path
        for name, (owner, key, lst, items) in self._lists.items():
            if _get(owner, key) is not lst:
                changed.append(f"{name} (replaced)")
                _set(owner, key, lst)
            if len(lst) != len(items) or any(a is not b for a, b in zip(lst, items)):
                changed.append(name)
                lst[:] = items
        for name, (obj, own, traits) in self._objects.items():
            now = vars(obj)
            for key, value in own.items():
                if now.get(key, _EMPTY) is not value:
                    changed.append(f"{name}.{key}")
                    now[key] = value
            trait_values = getattr(obj, "_trait_values", None)
            for key, value in traits.items():
                if trait_values.get(key, _EMPTY) is not value:
                    changed.append(f"{name}.{key}")
                    trait_values[key] = value
            cls = type(obj)
            for key in [k for k, v in list(now.items()) if k not in own and callable(v) and hasattr(cls, k)]:
                changed.append(f"{name}.{key}")
                del now[key]
        ns = self._shell.user_ns
        if ns.get("__builtins__") is not self._builtins:
            changed.append("__builtins__")
            ns["__builtins__"] = self._builtins
        for name, value in self._names.items():
            if ns.get(name, _EMPTY) is not value:
                changed.append(f"{name} (the instructor's)")
                ns[name] = value
        for f, state, cells, attributes in self._helpers.values():
            if _function_state(f) != state:
                changed.append(f"{f.__qualname__} (the instructor's; its code)")
                f.__code__, f.__defaults__, f.__kwdefaults__ = state
            for cell, content in zip(f.__closure__ or (), cells):
                if content is not _EMPTY and (not _has_contents(cell) or cell.cell_contents is not content):
                    changed.append(f"{f.__qualname__} (the instructor's; its closure)")
                    cell.cell_contents = content
            if vars(f) != attributes:
                vars(f).clear()
                vars(f).update(attributes)
        builtin_names = vars(_builtins_module)
        for name in [n for n in list(ns) if n in builtin_names and n not in self._names and not n.startswith("__")]:
            if ns[name] is not builtin_names[name]:
                changed.append(f"{name} (shadows the builtin)")
                del ns[name]
        return changed

    # ------------------------------------------------------------ the protocol
    def _answer(self, kind, nonce, content):
        text = self._dumps(content, sort_keys=True)
        tag = self._hmac_new(self._secret, f"{kind}:{nonce}:{text}".encode(), self._sha256).hexdigest()
        return f"{kind}:{nonce}:{tag}:{text}"

    def before(self, nonce):
        """Restore; answer with what had changed since the last instructor cell."""
        changed = self._restore()
        self._marks.discard(nonce)
        return self._answer("before", nonce, {"restored": changed})

    def mark(self, nonce):
        """The last line of every instructor cell: it ran to its end."""
        self._marks.add(nonce)

    def after(self, nonce, names):
        """Answer whether the cell reached its end and what changed while it ran; take the new baseline."""
        changed = self._restore()
        marked = nonce in self._marks
        self._marks.discard(nonce)
        ns = self._shell.user_ns
        for name in names:
            if name in ns:
                self._names[name] = ns[name]
        self.baseline()
        return self._answer("after", nonce, {"marked": marked, "changed": changed})


def _get(owner, key):
    return owner[key] if isinstance(owner, dict) else getattr(owner, key)


def _set(owner, key, value):
    if isinstance(owner, dict):
        owner[key] = value
    else:
        setattr(owner, key, value)


class _Empty:
    def __repr__(self):
        return "<empty>"


_EMPTY = _Empty()


def _has_contents(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def install(shell, secret, name, modules=()):
    """Import ``modules`` (those the instructor's cells import; a missing one is skipped), build
    the :class:`Guard` for the IPython ``shell`` and bind it to ``name`` in the notebook's
    namespace (hidden from ``%who``)."""
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:
            pass
    kernel = getattr(shell, "kernel", None)
    guard = Guard(secret, shell, kernel, name)
    # IPython's own names that shadow builtins (exit, quit, open) belong to the baseline.
    builtin_names = vars(_builtins_module)
    for key, value in list(shell.user_ns.items()):
        if key in builtin_names and not key.startswith("__"):
            guard._names[key] = value
    shell.user_ns[name] = guard
    shell.user_ns_hidden[name] = guard
    guard.baseline()
    return "installed"
