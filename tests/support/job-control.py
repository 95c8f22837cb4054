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

def step(name, ok):
    print(name if ok else "NOT-" + name, flush=True)
    if not ok:
        sys.stdout.write(seen.decode(errors="replace"))
        kill_session()
        sys.exit(1)

step("PROMPT", until(b"PROMPT> "))
os.write(fd, (" ".join(sys.argv[1:]) + "\n").encode())
step("STARTED", until(b"STARTED"))
os.write(fd, b"\x1a")
step("STOPPED", until(b"Stopped"))
os.write(fd, b"echo SHELL-$((40+2))\n")
step("SHELL", until(b"SHELL-42"))
os.write(fd, b"fg\n")
step("RESUMED", until(b"RESUMED"))
os.write(fd, b"\x03")
os.write(fd, b"echo EXIT=$?\n")
step("EXIT=130", until(b"EXIT=130"))
os.write(fd, b"exit\n")
os.waitpid(pid, 0)
