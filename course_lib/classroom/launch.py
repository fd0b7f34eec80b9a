"""Set a kernel's resource limits, drop root, and exec the kernel: the last step before student code.

Run as a script, by path, with the standard library only (``python -I -S launch.py``),
inside the sandbox (see :mod:`course_lib.classroom.sandbox`)::

    python -I -S launch.py --memory BYTES --cpu SECONDS --processes N --file-size BYTES \
        [--uid UID --gid GID] -- python -m ipykernel_launcher -f kernel.json

Limits (``setrlimit``; soft = hard, so the student cannot raise them again):

* ``RLIMIT_AS`` (``--memory``): the address space; an allocation beyond it raises
  MemoryError in the student's cell instead of exhausting the machine.
* ``RLIMIT_CPU`` (``--cpu``): CPU seconds for the whole kernel; past it the kernel is
  killed (SIGXCPU, then SIGKILL), which the grader reports as a dead kernel.
* ``RLIMIT_NPROC`` (``--processes``): processes and threads of this user. Linux counts
  them per real user, and never limits root: that is why the grader, when it runs as
  root, gives every parallel job its own unprivileged uid (``--uid``).
* ``RLIMIT_FSIZE`` (``--file-size``): the largest file the kernel may write.
* ``RLIMIT_CORE`` = 0: no core dumps of the kernel in the student's folder.

With ``--uid``/``--gid`` (the launcher must then start as root, or with CAP_SETUID and
CAP_SETGID, which bubblewrap grants to it alone) it drops every supplementary group,
then the group, then the user; the kernel keeps no capability (a non-root uid loses
them all on ``setuid``) and cannot regain any (bubblewrap sets ``no_new_privs``).
"""
import os
import resource
import sys


def _parse(argv):
    options, rest = {}, list(argv)
    while rest and rest[0] != "--":
        key, value = rest[0], rest[1]
        if not key.startswith("--"):
            raise SystemExit(f"launch.py: expected an option, got {key!r}")
        options[key[2:].replace("-", "_")] = int(value)
        rest = rest[2:]
    if not rest or len(rest) < 2:
        raise SystemExit("launch.py: nothing to run after '--'")
    return options, rest[1:]


def apply_limits(options):
    """setrlimit for each limit given (soft = hard); see the module docstring."""
    names = {"memory": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU,
             "processes": resource.RLIMIT_NPROC, "file_size": resource.RLIMIT_FSIZE}
    for key, which in names.items():
        if key in options:
            resource.setrlimit(which, (options[key], options[key]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(uid, gid):
    """Become uid/gid with no supplementary groups; fail loudly if any step did not take."""
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (gid, gid, gid) or os.getgroups():
        raise SystemExit("launch.py: could not drop privileges")


def main(argv):
    options, command = _parse(argv)
    uid, gid = options.pop("uid", None), options.pop("gid", None)
    apply_limits(options)
    if uid is not None:
        drop_privileges(uid, gid if gid is not None else uid)
    # ipykernel would watch this pid, which does not exist in the sandbox's PID namespace, and
    # shut down at once; bubblewrap's --die-with-parent ends the kernel with the grader instead.
    os.environ.pop("JPY_PARENT_PID", None)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
