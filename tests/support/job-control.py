# Drives an interactive bash on a pty (tests/exits.rs): runs zklock (argv[1:]) as a job, stops
# it with Ctrl-Z, checks the shell has its terminal back, brings it back with fg, ends the
# command with Ctrl-C. Prints one word per step; every wait has a deadline.
import os, pty, select, sys, time

pid, fd = pty.fork()
if pid == 0:
    env = dict(os.environ, PS1="PROMPT> ", TERM="dumb")
    os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
seen = b""

def until(token, secs=20):
    global seen
    end = time.time() + secs
    while time.time() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                return False
            seen += data
            if token in seen:
                seen = seen[seen.index(token) + len(token):]
                return True
    return False

def kill_session():
    """SIGKILLs every process of the pty's session (bash's jobs: zklock and its command)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == pid:  # the session id
                    os.kill(int(entry), 9)
            except (OSError, ValueError, IndexError):
                pass

def session():
    """(pid, comm, ppid, pgrp, tpgid) of every process of the pty's session."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    raw = stat.read()
                comm = raw.split("(", 1)[1].rsplit(")", 1)[0]
                fields = raw.rsplit(")", 1)[1].split()
                if int(fields[3]) == pid:
                    found.append((int(entry), comm, int(fields[1]), int(fields[2]), int(fields[5])))
            except (OSError, ValueError, IndexError):
                pass
    return found

def command_in_foreground(secs=20):
    """Waits until the command (zklock's child that is not zklock) has the terminal: the
    shell hands a job the terminal from both sides of its fork, and zklock then to the
    command; a Ctrl-Z before that reaches zklock's group, which ignores it."""
    end = time.time() + secs
    while time.time() < end:
        procs = session()
        zklocks = {p for p, comm, *_ in procs if comm == "zklock"}
        if any(ppid in zklocks and comm != "zklock" and pgrp == tpgid
               for _, comm, ppid, pgrp, tpgid in procs):
            return True
        time.sleep(0.02)
    return False

def step(name, ok):
    print(name if ok else "NOT-" + name, flush=True)
    if not ok:
        sys.stdout.write(seen.decode(errors="replace"))
        kill_session()
        sys.exit(1)

def stop_it(tries=5):
    """Ctrl-Z once the command has the terminal, again if the shell's late hand-over took it
    from the command meanwhile (zklock gives it back within a pass of its guard: without
    that, every try fails)."""
    for _ in range(tries):
        if not command_in_foreground():
            return False
        os.write(fd, b"\x1a")
        if until(b"Stopped", 3):
            return True
    return False

step("PROMPT", until(b"PROMPT> "))
os.write(fd, (" ".join(sys.argv[1:]) + "\n").encode())
# The command's own lines end in \r\n; the typed command line and bash's echo of the job on
# `fg` hold the same words followed by other text (matching those sent Ctrl-C too early).
step("STARTED", until(b"STARTED\r\n"))
step("FOREGROUND", command_in_foreground())
step("STOPPED", stop_it())
os.write(fd, b"echo SHELL-$((40+2))\n")
step("SHELL", until(b"SHELL-42"))
os.write(fd, b"fg\n")
step("RESUMED", until(b"RESUMED\r\n"))
os.write(fd, b"\x03")
os.write(fd, b"echo EXIT=$?\n")
step("EXIT=130", until(b"EXIT=130"))
os.write(fd, b"exit\n")
os.waitpid(pid, 0)
