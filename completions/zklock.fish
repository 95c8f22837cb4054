# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_zklock_global_optspecs
    string join \n s/servers= session-timeout= connect-timeout= v/verbose q/quiet tls tls-ca= tls-cert= tls-key= tls-no-hostname-verification sasl-user= sasl-mechanism= sasl-service= sasl-password-file= auth= client-config= acl= h/help V/version n/nonblock w/wait= E/conflict-exit-code= l/limit= shared write once-per= record c/command= id= kill-signal= kill-grace= cgroup no-cgroup
end

function __fish_zklock_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_zklock_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_zklock_using_subcommand
    set -l cmd (__fish_zklock_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c zklock -n "__fish_zklock_needs_command" -s s -l servers -d 'ZooKeeper connect string: host:port[,host:port]...[/chroot]' -r
complete -c zklock -n "__fish_zklock_needs_command" -l session-timeout -d 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value' -r
complete -c zklock -n "__fish_zklock_needs_command" -l connect-timeout -d 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w\'s end' -r
complete -c zklock -n "__fish_zklock_needs_command" -l tls-ca -d 'PEM bundle of the CAs that sign the servers\' certificates [default: the system\'s]' -r -F
complete -c zklock -n "__fish_zklock_needs_command" -l tls-cert -d 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper\'s PEM keystores); the session gets the x509 identity CN=..,O=..' -r -F
complete -c zklock -n "__fish_zklock_needs_command" -l tls-key -d 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate\'s file' -r -F
complete -c zklock -n "__fish_zklock_needs_command" -l sasl-user -d 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag' -r
complete -c zklock -n "__fish_zklock_needs_command" -l sasl-mechanism -d 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)' -r -f -a "digest-md5\t'A user and password of the server\'s JAAS file'
gssapi\t'Kerberos'"
complete -c zklock -n "__fish_zklock_needs_command" -l sasl-service -d 'Kerberos: the service part of the servers\' principal, SERVICE/HOST@REALM, HOST being the server\'s name as written in --servers [default: zookeeper]' -r
complete -c zklock -n "__fish_zklock_needs_command" -l sasl-password-file -d 'File holding the SASL password (one line)' -r -F
complete -c zklock -n "__fish_zklock_needs_command" -l auth -d 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`' -r
complete -c zklock -n "__fish_zklock_needs_command" -l client-config -d 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it' -r -F
complete -c zklock -n "__fish_zklock_needs_command" -l acl -d 'ACL of every node zklock creates: open, creator (all rights to this session\'s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor\'s ACL; contender nodes are read when authenticated, open when not]' -r
complete -c zklock -n "__fish_zklock_needs_command" -s w -l wait -d 'Give up (exit 75) when the lock is not acquired within this, the connect included (69 when no server answered within it); with the server frozen, cleaning up adds at most ~4 s' -r
complete -c zklock -n "__fish_zklock_needs_command" -s E -l conflict-exit-code -d 'Exit status when the lock is not acquired (-n, --wait)' -r
complete -c zklock -n "__fish_zklock_needs_command" -s l -l limit -d 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2\'s layout: PATH/locks and PATH/leases)' -r
complete -c zklock -n "__fish_zklock_needs_command" -l once-per -d 'Run at most once per DURATION across every host (cron on many hosts): after acquiring, skip the command and exit 75 (-E), quietly (-v says so), when the last successful run recorded in PATH\'s data started less than DURATION before; otherwise run it and record the run. Times are the server\'s. Choose DURATION shorter than the cron period (12h for a nightly job)' -r
complete -c zklock -n "__fish_zklock_needs_command" -s c -l command -d 'Run this string with `sh -c` instead of a command after `--`' -r
complete -c zklock -n "__fish_zklock_needs_command" -l id -d 'Identity stored in our node [default: <hostname>:<pid>]' -r
complete -c zklock -n "__fish_zklock_needs_command" -l kill-signal -d 'Signal that stops the command when the lock is lost or zklock is told to stop' -r -f -a "HUP\t''
INT\t''
QUIT\t''
KILL\t''
USR1\t''
USR2\t''
ALRM\t''
TERM\t''
WINCH\t''
URG\t''
VTALRM\t''
PROF\t''
IO\t''
PWR\t''"
complete -c zklock -n "__fish_zklock_needs_command" -l kill-grace -d 'How long the command has after the kill signal before SIGKILL' -r
complete -c zklock -n "__fish_zklock_needs_command" -s v -l verbose -d 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
complete -c zklock -n "__fish_zklock_needs_command" -s q -l quiet -d 'Nothing on stderr but fatal errors'
complete -c zklock -n "__fish_zklock_needs_command" -l tls -d 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
complete -c zklock -n "__fish_zklock_needs_command" -l tls-no-hostname-verification -d 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
complete -c zklock -n "__fish_zklock_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zklock -n "__fish_zklock_needs_command" -s V -l version -d 'Print version'
complete -c zklock -n "__fish_zklock_needs_command" -s n -l nonblock -d 'Fail at once (exit 75) when the lock is held by someone else'
complete -c zklock -n "__fish_zklock_needs_command" -l shared -d 'Take a read lock: held together with other readers, while no writer or exclusive holder is ahead (Curator InterProcessReadWriteLock\'s read lock, `__READ__` nodes)'
complete -c zklock -n "__fish_zklock_needs_command" -l write -d 'Take the write lock of a read/write lock: alone, after every earlier reader and writer (Curator\'s write lock, `__WRIT__` nodes); readers that come later wait for it'
complete -c zklock -n "__fish_zklock_needs_command" -l record -d 'Record the run in PATH\'s data (who, when, how long, how it ended) for `ls -l PATH`, without --once-per\'s skip'
complete -c zklock -n "__fish_zklock_needs_command" -l cgroup -d 'Insist on a cgroup v2 of the command\'s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)'
complete -c zklock -n "__fish_zklock_needs_command" -l no-cgroup -d 'Run the command without a cgroup of its own (its process group and zklock\'s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)'
complete -c zklock -n "__fish_zklock_needs_command" -f -a "lock" -d 'Run a command while holding a lock (the default subcommand)'
complete -c zklock -n "__fish_zklock_needs_command" -f -a "elect" -d 'Run a command while this process leads an election; or show the leader'
complete -c zklock -n "__fish_zklock_needs_command" -f -a "watch" -d 'Print (or run a command on) every change of a znode, its children or its subtree'
complete -c zklock -n "__fish_zklock_needs_command" -f -a "ls" -d 'List znodes; for a lock or election directory, who holds it and who waits'
complete -c zklock -n "__fish_zklock_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s w -l wait -d 'Give up (exit 75) when the lock is not acquired within this, the connect included (69 when no server answered within it); with the server frozen, cleaning up adds at most ~4 s' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s E -l conflict-exit-code -d 'Exit status when the lock is not acquired (-n, --wait)' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s l -l limit -d 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2\'s layout: PATH/locks and PATH/leases)' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l once-per -d 'Run at most once per DURATION across every host (cron on many hosts): after acquiring, skip the command and exit 75 (-E), quietly (-v says so), when the last successful run recorded in PATH\'s data started less than DURATION before; otherwise run it and record the run. Times are the server\'s. Choose DURATION shorter than the cron period (12h for a nightly job)' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s c -l command -d 'Run this string with `sh -c` instead of a command after `--`' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l id -d 'Identity stored in our node [default: <hostname>:<pid>]' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l kill-signal -d 'Signal that stops the command when the lock is lost or zklock is told to stop' -r -f -a "HUP\t''
INT\t''
QUIT\t''
KILL\t''
USR1\t''
USR2\t''
ALRM\t''
TERM\t''
WINCH\t''
URG\t''
VTALRM\t''
PROF\t''
IO\t''
PWR\t''"
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l kill-grace -d 'How long the command has after the kill signal before SIGKILL' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s s -l servers -d 'ZooKeeper connect string: host:port[,host:port]...[/chroot]' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l session-timeout -d 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l connect-timeout -d 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w\'s end' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l tls-ca -d 'PEM bundle of the CAs that sign the servers\' certificates [default: the system\'s]' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l tls-cert -d 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper\'s PEM keystores); the session gets the x509 identity CN=..,O=..' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l tls-key -d 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate\'s file' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l sasl-user -d 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l sasl-mechanism -d 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)' -r -f -a "digest-md5\t'A user and password of the server\'s JAAS file'
gssapi\t'Kerberos'"
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l sasl-service -d 'Kerberos: the service part of the servers\' principal, SERVICE/HOST@REALM, HOST being the server\'s name as written in --servers [default: zookeeper]' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l sasl-password-file -d 'File holding the SASL password (one line)' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l auth -d 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l client-config -d 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l acl -d 'ACL of every node zklock creates: open, creator (all rights to this session\'s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor\'s ACL; contender nodes are read when authenticated, open when not]' -r
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s n -l nonblock -d 'Fail at once (exit 75) when the lock is held by someone else'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l shared -d 'Take a read lock: held together with other readers, while no writer or exclusive holder is ahead (Curator InterProcessReadWriteLock\'s read lock, `__READ__` nodes)'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l write -d 'Take the write lock of a read/write lock: alone, after every earlier reader and writer (Curator\'s write lock, `__WRIT__` nodes); readers that come later wait for it'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l record -d 'Record the run in PATH\'s data (who, when, how long, how it ended) for `ls -l PATH`, without --once-per\'s skip'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l cgroup -d 'Insist on a cgroup v2 of the command\'s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l no-cgroup -d 'Run the command without a cgroup of its own (its process group and zklock\'s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s v -l verbose -d 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s q -l quiet -d 'Nothing on stderr but fatal errors'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l tls -d 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -l tls-no-hostname-verification -d 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zklock -n "__fish_zklock_using_subcommand lock" -s V -l version -d 'Print version'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -s c -l command -d 'Run this string with `sh -c` instead of a command after `--`' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l id -d 'Identity stored in our node [default: <hostname>:<pid>]' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l kill-signal -d 'Signal that stops the command when the lock is lost or zklock is told to stop' -r -f -a "HUP\t''
INT\t''
QUIT\t''
KILL\t''
USR1\t''
USR2\t''
ALRM\t''
TERM\t''
WINCH\t''
URG\t''
VTALRM\t''
PROF\t''
IO\t''
PWR\t''"
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l kill-grace -d 'How long the command has after the kill signal before SIGKILL' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -s s -l servers -d 'ZooKeeper connect string: host:port[,host:port]...[/chroot]' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l session-timeout -d 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l connect-timeout -d 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w\'s end' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l tls-ca -d 'PEM bundle of the CAs that sign the servers\' certificates [default: the system\'s]' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l tls-cert -d 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper\'s PEM keystores); the session gets the x509 identity CN=..,O=..' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l tls-key -d 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate\'s file' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l sasl-user -d 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l sasl-mechanism -d 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)' -r -f -a "digest-md5\t'A user and password of the server\'s JAAS file'
gssapi\t'Kerberos'"
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l sasl-service -d 'Kerberos: the service part of the servers\' principal, SERVICE/HOST@REALM, HOST being the server\'s name as written in --servers [default: zookeeper]' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l sasl-password-file -d 'File holding the SASL password (one line)' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l auth -d 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l client-config -d 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l acl -d 'ACL of every node zklock creates: open, creator (all rights to this session\'s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor\'s ACL; contender nodes are read when authenticated, open when not]' -r
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l leader -d 'Print the current leader\'s id and exit (exit 3 when there is none)'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l observe -d 'Print the leader\'s id on every change until interrupted'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l json -d 'With --leader or --observe: a JSON object (id, node, since) a line'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l cgroup -d 'Insist on a cgroup v2 of the command\'s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l no-cgroup -d 'Run the command without a cgroup of its own (its process group and zklock\'s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -s v -l verbose -d 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -s q -l quiet -d 'Nothing on stderr but fatal errors'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l tls -d 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -l tls-no-hostname-verification -d 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zklock -n "__fish_zklock_using_subcommand elect" -s V -l version -d 'Print version'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -s s -l servers -d 'ZooKeeper connect string: host:port[,host:port]...[/chroot]' -r
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l session-timeout -d 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value' -r
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l connect-timeout -d 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w\'s end' -r
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l tls-ca -d 'PEM bundle of the CAs that sign the servers\' certificates [default: the system\'s]' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l tls-cert -d 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper\'s PEM keystores); the session gets the x509 identity CN=..,O=..' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l tls-key -d 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate\'s file' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l sasl-user -d 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag' -r
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l sasl-mechanism -d 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)' -r -f -a "digest-md5\t'A user and password of the server\'s JAAS file'
gssapi\t'Kerberos'"
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l sasl-service -d 'Kerberos: the service part of the servers\' principal, SERVICE/HOST@REALM, HOST being the server\'s name as written in --servers [default: zookeeper]' -r
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l sasl-password-file -d 'File holding the SASL password (one line)' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l auth -d 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`' -r
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l client-config -d 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l acl -d 'ACL of every node zklock creates: open, creator (all rights to this session\'s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor\'s ACL; contender nodes are read when authenticated, open when not]' -r
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l children -d 'Watch its child list instead of the node itself'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -s R -l recursive -d 'Watch every descendant (a persistent recursive watch)'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -s d -l data -d 'Append the node\'s new data to each line'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l json -d 'One JSON object a line: event, path, zxid/version where known, data'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l once -d 'Exit 0 after the first event'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l initial -d 'Print the current state first (`initial <path>` for each node that exists)'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -s v -l verbose -d 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -s q -l quiet -d 'Nothing on stderr but fatal errors'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l tls -d 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -l tls-no-hostname-verification -d 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zklock -n "__fish_zklock_using_subcommand watch" -s V -l version -d 'Print version'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l stale -d 'The run records at PATH and below it (one level; every level with -R) whose last success started longer ago than DURATION (default: 1.5 × the period recorded with the run, see zklock-lock(1): once per period), or that never succeeded: a line each, and exit 2; exit 0 when none is. A record without a period is reported as unknown when no DURATION is given (not stale)' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s s -l servers -d 'ZooKeeper connect string: host:port[,host:port]...[/chroot]' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l session-timeout -d 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l connect-timeout -d 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w\'s end' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l tls-ca -d 'PEM bundle of the CAs that sign the servers\' certificates [default: the system\'s]' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l tls-cert -d 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper\'s PEM keystores); the session gets the x509 identity CN=..,O=..' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l tls-key -d 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate\'s file' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l sasl-user -d 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l sasl-mechanism -d 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)' -r -f -a "digest-md5\t'A user and password of the server\'s JAAS file'
gssapi\t'Kerberos'"
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l sasl-service -d 'Kerberos: the service part of the servers\' principal, SERVICE/HOST@REALM, HOST being the server\'s name as written in --servers [default: zookeeper]' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l sasl-password-file -d 'File holding the SASL password (one line)' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l auth -d 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l client-config -d 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it' -r -F
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l acl -d 'ACL of every node zklock creates: open, creator (all rights to this session\'s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor\'s ACL; contender nodes are read when authenticated, open when not]' -r
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s R -l recursive -d 'Every descendant, as full paths, in tree order (each node followed by its descendants)'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s d -l data -d 'Show each node\'s data'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s l -l long -d 'Type, owner session, version, sizes, mtime, and each contender\'s role, id and age; first, the last run recorded in PATH, if any (zklock-lock(1): once per period)'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l json -d 'One JSON document (data as UTF-8, or base64 when it is not)'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l holder -d 'Is PATH (a lock, read/write lock, semaphore or election) held, and by whom: prints each holder\'s id and exits 0, or exits 3 when nobody holds it'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l prometheus -d 'Prometheus metrics of every lock, election and semaphore directory and run record at PATH and below it (one level; every level with -R), for node_exporter\'s textfile collector: held, holders, waiters, since when each holder holds, the semaphore\'s N, the last run and the last success (server times), and the period'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s v -l verbose -d 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s q -l quiet -d 'Nothing on stderr but fatal errors'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l tls -d 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -l tls-no-hostname-verification -d 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zklock -n "__fish_zklock_using_subcommand ls" -s V -l version -d 'Print version'
complete -c zklock -n "__fish_zklock_using_subcommand help; and not __fish_seen_subcommand_from lock elect watch ls help" -f -a "lock" -d 'Run a command while holding a lock (the default subcommand)'
complete -c zklock -n "__fish_zklock_using_subcommand help; and not __fish_seen_subcommand_from lock elect watch ls help" -f -a "elect" -d 'Run a command while this process leads an election; or show the leader'
complete -c zklock -n "__fish_zklock_using_subcommand help; and not __fish_seen_subcommand_from lock elect watch ls help" -f -a "watch" -d 'Print (or run a command on) every change of a znode, its children or its subtree'
complete -c zklock -n "__fish_zklock_using_subcommand help; and not __fish_seen_subcommand_from lock elect watch ls help" -f -a "ls" -d 'List znodes; for a lock or election directory, who holds it and who waits'
complete -c zklock -n "__fish_zklock_using_subcommand help; and not __fish_seen_subcommand_from lock elect watch ls help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
