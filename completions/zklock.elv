
use builtin;
use str;

set edit:completion:arg-completer[zklock] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'zklock'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'zklock'= {
            cand -s 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --servers 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --session-timeout 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value'
            cand --connect-timeout 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one'
            cand --auth 'Authenticate, e.g. digest:user:secret (the env form keeps secrets out of `ps`)'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand lock 'Run a command while holding a lock (the default subcommand)'
            cand elect 'Run a command while this process leads an election; or show the leader'
            cand watch 'Print (or run a command on) every change of a znode, its children or its subtree'
            cand ls 'List znodes; for a lock or election directory, who holds it and who waits'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zklock;lock'= {
            cand -w 'Give up (exit 75) when the lock is not acquired within this'
            cand --wait 'Give up (exit 75) when the lock is not acquired within this'
            cand -E 'Exit status when the lock is not acquired (-n, --wait)'
            cand --conflict-exit-code 'Exit status when the lock is not acquired (-n, --wait)'
            cand -c 'Run this string with `sh -c` instead of a command after `--`'
            cand --command 'Run this string with `sh -c` instead of a command after `--`'
            cand --id 'Identity stored in our node [default: <hostname>:<pid>]'
            cand --kill-signal 'Signal that stops the command when the lock is lost or zklock is told to stop'
            cand --kill-grace 'How long the command has after the kill signal before SIGKILL'
            cand -s 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --servers 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --session-timeout 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value'
            cand --connect-timeout 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one'
            cand --auth 'Authenticate, e.g. digest:user:secret (the env form keeps secrets out of `ps`)'
            cand -n 'Fail at once (exit 75) when the lock is held by someone else'
            cand --nonblock 'Fail at once (exit 75) when the lock is held by someone else'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zklock;elect'= {
            cand -c 'Run this string with `sh -c` instead of a command after `--`'
            cand --command 'Run this string with `sh -c` instead of a command after `--`'
            cand --id 'Identity stored in our node [default: <hostname>:<pid>]'
            cand --kill-signal 'Signal that stops the command when the lock is lost or zklock is told to stop'
            cand --kill-grace 'How long the command has after the kill signal before SIGKILL'
            cand -s 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --servers 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --session-timeout 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value'
            cand --connect-timeout 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one'
            cand --auth 'Authenticate, e.g. digest:user:secret (the env form keeps secrets out of `ps`)'
            cand --leader 'Print the current leader''s id and exit (exit 3 when there is none)'
            cand --observe 'Print the leader''s id on every change until interrupted'
            cand --json 'With --leader or --observe: a JSON object (id, node, since) a line'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zklock;watch'= {
            cand -s 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --servers 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --session-timeout 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value'
            cand --connect-timeout 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one'
            cand --auth 'Authenticate, e.g. digest:user:secret (the env form keeps secrets out of `ps`)'
            cand --children 'Watch its child list instead of the node itself'
            cand -R 'Watch every descendant (a persistent recursive watch)'
            cand --recursive 'Watch every descendant (a persistent recursive watch)'
            cand -d 'Append the node''s new data to each line'
            cand --data 'Append the node''s new data to each line'
            cand --json 'One JSON object a line: event, path, zxid/version where known, data'
            cand --once 'Exit 0 after the first event'
            cand --initial 'Print the current state first (`initial <path>` for each node that exists)'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zklock;ls'= {
            cand -s 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --servers 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --session-timeout 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value'
            cand --connect-timeout 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one'
            cand --auth 'Authenticate, e.g. digest:user:secret (the env form keeps secrets out of `ps`)'
            cand -R 'Every descendant, as full paths'
            cand --recursive 'Every descendant, as full paths'
            cand -d 'Show each node''s data'
            cand --data 'Show each node''s data'
            cand -l 'Type, owner session, version, sizes, mtime, and each contender''s role, id and age'
            cand --long 'Type, owner session, version, sizes, mtime, and each contender''s role, id and age'
            cand --json 'One JSON document (data as UTF-8, or base64 when it is not)'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'zklock;help'= {
            cand lock 'Run a command while holding a lock (the default subcommand)'
            cand elect 'Run a command while this process leads an election; or show the leader'
            cand watch 'Print (or run a command on) every change of a znode, its children or its subtree'
            cand ls 'List znodes; for a lock or election directory, who holds it and who waits'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'zklock;help;lock'= {
        }
        &'zklock;help;elect'= {
        }
        &'zklock;help;watch'= {
        }
        &'zklock;help;ls'= {
        }
        &'zklock;help;help'= {
        }
    ]
    $completions[$command]
}
