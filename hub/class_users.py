"""Unix accounts and the nbgrader exchange for a class on one machine (run as root).

    python3 hub/class_users.py add ROSTER [--passwords FILE] [--exchange DIR] [--course-id why-init]
    python3 hub/class_users.py remove ROSTER          # deletes the accounts AND their homes

``add`` creates, for every name in the roster (:mod:`roster`) that has no account yet,
a Unix user with its own group and a home that only they can enter (mode 0700: on
Debian and Ubuntu ``useradd`` and ``adduser`` make homes others can read unless told
otherwise, so a student could read a classmate's notebooks). Homes of existing accounts
are set to 0700 too. With ``--passwords FILE`` each new account gets a random password
(for the hub's default PAM login), written to FILE (mode 0600, appended) for you to hand
out; without it, accounts have no password, which is what you want with a single sign-on
authenticator (OAuth, LTI) that only maps names to these accounts.

With ``--exchange DIR`` it also lays out nbgrader's exchange, the only folder students
share: ``DIR`` world-writable with the sticky bit (mode 1777: everyone may create, nobody
may remove what others made), and ``DIR/<course-id>`` owned by the first instructor, so
that no student can claim the course's folder before the instructor's first release.
nbgrader then keeps submissions apart by itself: ``inbound/`` is write-only for students
(mode 2733: they cannot list it) and each submission's folder name ends in a random string.

``remove`` refuses system accounts (uid below 1000) and root.
"""
from __future__ import annotations

import argparse
import os
import pwd
import secrets
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roster import instructors, read_roster  # noqa: E402

FIRST_NORMAL_UID = 1000


def _exists(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def add_users(people, *, passwords=None, log=print):
    """Create the missing accounts (homes 0700); return ``{name: password}`` of the new ones
    (empty passwords when ``passwords`` is None)."""
    created = {}
    for name in people:
        if _exists(name) is None:
            subprocess.run(["useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
                            "--key", "HOME_MODE=0700", name], check=True)
            created[name] = secrets.token_urlsafe(12) if passwords is not None else ""
            log(f"created user {name}")
        os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
    if passwords is not None and created:
        text = "".join(f"{name}:{password}\n" for name, password in created.items())
        subprocess.run(["chpasswd"], input=text, text=True, check=True)
        fd = os.open(passwords, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as f:
            f.write(text)
        os.chmod(passwords, 0o600)
        log(f"wrote {len(created)} password(s) to {passwords} (mode 0600)")
    return created


def prepare_exchange(exchange, course_id, owner, *, log=print):
    """nbgrader's exchange root (1777) and the course's folder in it, owned by ``owner``."""
    exchange = Path(exchange)
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o1777)
    course = exchange / course_id
    course.mkdir(exist_ok=True)
    account = pwd.getpwnam(owner)
    os.chown(course, account.pw_uid, account.pw_gid)
    os.chmod(course, 0o755)
    log(f"exchange {exchange} (1777), course folder {course} owned by {owner}")


def remove_users(people, *, log=print):
    """Delete the accounts and their homes; refuses root and system accounts."""
    for name in people:
        account = _exists(name)
        if account is None:
            continue
        if account.pw_uid < FIRST_NORMAL_UID:
            raise ValueError(f"refusing to remove {name}: uid {account.pw_uid} is a system account")
        subprocess.run(["userdel", "--remove", name], check=True, capture_output=True)
        log(f"removed user {name} and {account.pw_dir}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="class_users.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create the roster's Unix accounts (homes 0700)")
    add.add_argument("roster")
    add.add_argument("--passwords", help="give new accounts random passwords, appended to this file (0600)")
    add.add_argument("--exchange", help="also prepare nbgrader's exchange in this folder (e.g. /srv/nbgrader/exchange)")
    add.add_argument("--course-id", default="why-init", help="nbgrader course id (default: why-init)")
    rm = sub.add_parser("remove", help="delete the roster's accounts and their homes")
    rm.add_argument("roster")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("error: run as root (it creates and removes Unix accounts)", file=sys.stderr)
        return 2
    try:
        people = read_roster(args.roster)
        if args.command == "add":
            add_users(people, passwords=args.passwords)
            if args.exchange:
                prepare_exchange(args.exchange, args.course_id, sorted(instructors(people))[0])
        else:
            remove_users(people)
    except (ValueError, OSError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
