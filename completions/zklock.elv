
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
            cand --tls-ca 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]'
            cand --tls-cert 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..'
            cand --tls-key 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file'
            cand --sasl-user 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag'
            cand --sasl-password-file 'File holding the SASL password (one line)'
            cand --auth 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`'
            cand --client-config 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it'
            cand --acl 'ACL of every node zklock creates: open, creator (all rights to this session''s identities), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand --tls 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
            cand --tls-no-hostname-verification 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
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
            cand -w 'Give up (exit 75) when the lock is not acquired within this (with the server frozen, cleaning up adds at most ~4 s)'
            cand --wait 'Give up (exit 75) when the lock is not acquired within this (with the server frozen, cleaning up adds at most ~4 s)'
            cand -E 'Exit status when the lock is not acquired (-n, --wait)'
            cand --conflict-exit-code 'Exit status when the lock is not acquired (-n, --wait)'
            cand -l 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2''s layout: PATH/locks and PATH/leases)'
            cand --limit 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2''s layout: PATH/locks and PATH/leases)'
            cand --once-per 'Run at most once per DURATION across every host (cron on many hosts): after acquiring, skip the command and exit 75 (-E) when the last successful run recorded in PATH''s data started less than DURATION before; otherwise run it and record the run. Times are the server''s. Choose DURATION shorter than the cron period (12h for a nightly job)'
            cand -c 'Run this string with `sh -c` instead of a command after `--`'
            cand --command 'Run this string with `sh -c` instead of a command after `--`'
            cand --id 'Identity stored in our node [default: <hostname>:<pid>]'
            cand --kill-signal 'Signal that stops the command when the lock is lost or zklock is told to stop'
            cand --kill-grace 'How long the command has after the kill signal before SIGKILL'
            cand -s 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --servers 'ZooKeeper connect string: host:port[,host:port]...[/chroot]'
            cand --session-timeout 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value'
            cand --connect-timeout 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one'
            cand --tls-ca 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]'
            cand --tls-cert 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..'
            cand --tls-key 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file'
            cand --sasl-user 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag'
            cand --sasl-password-file 'File holding the SASL password (one line)'
            cand --auth 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`'
            cand --client-config 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it'
            cand --acl 'ACL of every node zklock creates: open, creator (all rights to this session''s identities), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]'
            cand -n 'Fail at once (exit 75) when the lock is held by someone else'
            cand --nonblock 'Fail at once (exit 75) when the lock is held by someone else'
            cand --shared 'Take a read lock: held together with other readers, while no writer or exclusive holder is ahead (Curator InterProcessReadWriteLock''s read lock, `__READ__` nodes)'
            cand --write 'Take the write lock of a read/write lock: alone, after every earlier reader and writer (Curator''s write lock, `__WRIT__` nodes); readers that come later wait for it'
            cand --record 'Record the run in PATH''s data (who, when, how long, how it ended) for `ls -l PATH`, without --once-per''s skip'
            cand --cgroup 'Insist on a cgroup v2 of the command''s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)'
            cand --no-cgroup 'Run the command without a cgroup of its own (its process group and zklock''s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand --tls 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
            cand --tls-no-hostname-verification 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand --tls-ca 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]'
            cand --tls-cert 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..'
            cand --tls-key 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file'
            cand --sasl-user 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag'
            cand --sasl-password-file 'File holding the SASL password (one line)'
            cand --auth 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`'
            cand --client-config 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it'
            cand --acl 'ACL of every node zklock creates: open, creator (all rights to this session''s identities), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]'
            cand --leader 'Print the current leader''s id and exit (exit 3 when there is none)'
            cand --observe 'Print the leader''s id on every change until interrupted'
            cand --json 'With --leader or --observe: a JSON object (id, node, since) a line'
            cand --cgroup 'Insist on a cgroup v2 of the command''s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)'
            cand --no-cgroup 'Run the command without a cgroup of its own (its process group and zklock''s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand --tls 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
            cand --tls-no-hostname-verification 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
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
            cand --tls-ca 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]'
            cand --tls-cert 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..'
            cand --tls-key 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file'
            cand --sasl-user 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag'
            cand --sasl-password-file 'File holding the SASL password (one line)'
            cand --auth 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`'
            cand --client-config 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it'
            cand --acl 'ACL of every node zklock creates: open, creator (all rights to this session''s identities), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]'
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
            cand --tls 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
            cand --tls-no-hostname-verification 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
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
            cand --tls-ca 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]'
            cand --tls-cert 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..'
            cand --tls-key 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file'
            cand --sasl-user 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag'
            cand --sasl-password-file 'File holding the SASL password (one line)'
            cand --auth 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`'
            cand --client-config 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it'
            cand --acl 'ACL of every node zklock creates: open, creator (all rights to this session''s identities), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]'
            cand -R 'Every descendant, as full paths'
            cand --recursive 'Every descendant, as full paths'
            cand -d 'Show each node''s data'
            cand --data 'Show each node''s data'
            cand -l 'Type, owner session, version, sizes, mtime, and each contender''s role, id and age; first, the last run recorded in PATH, if any (zklock-lock(1): once per period)'
            cand --long 'Type, owner session, version, sizes, mtime, and each contender''s role, id and age; first, the last run recorded in PATH, if any (zklock-lock(1): once per period)'
            cand --json 'One JSON document (data as UTF-8, or base64 when it is not)'
            cand --holder 'Is PATH (a lock, read/write lock, semaphore or election) held, and by whom: prints each holder''s id and exits 0, or exits 3 when nobody holds it'
            cand -v 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand --verbose 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
            cand -q 'Nothing on stderr but fatal errors'
            cand --quiet 'Nothing on stderr but fatal errors'
            cand --tls 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
            cand --tls-no-hostname-verification 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
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
