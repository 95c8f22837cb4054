
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'zklock' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'zklock'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'zklock' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--servers', '--servers', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--session-timeout', '--session-timeout', [CompletionResultType]::ParameterName, 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w''s end')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file')
            [CompletionResult]::new('--sasl-user', '--sasl-user', [CompletionResultType]::ParameterName, 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag')
            [CompletionResult]::new('--sasl-mechanism', '--sasl-mechanism', [CompletionResultType]::ParameterName, 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)')
            [CompletionResult]::new('--sasl-service', '--sasl-service', [CompletionResultType]::ParameterName, 'Kerberos: the service part of the servers'' principal, SERVICE/HOST@REALM, HOST being the server''s name as written in --servers [default: zookeeper]')
            [CompletionResult]::new('--sasl-password-file', '--sasl-password-file', [CompletionResultType]::ParameterName, 'File holding the SASL password (one line)')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`')
            [CompletionResult]::new('--client-config', '--client-config', [CompletionResultType]::ParameterName, 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it')
            [CompletionResult]::new('--acl', '--acl', [CompletionResultType]::ParameterName, 'ACL of every node zklock creates: open, creator (all rights to this session''s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]')
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Give up (exit 75) when the lock is not acquired within this, the connect included (69 when no server answered within it); with the server frozen, cleaning up adds at most ~4 s')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Give up (exit 75) when the lock is not acquired within this, the connect included (69 when no server answered within it); with the server frozen, cleaning up adds at most ~4 s')
            [CompletionResult]::new('-E', '-E ', [CompletionResultType]::ParameterName, 'Exit status when the lock is not acquired (-n, --wait)')
            [CompletionResult]::new('--conflict-exit-code', '--conflict-exit-code', [CompletionResultType]::ParameterName, 'Exit status when the lock is not acquired (-n, --wait)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2''s layout: PATH/locks and PATH/leases)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2''s layout: PATH/locks and PATH/leases)')
            [CompletionResult]::new('--once-per', '--once-per', [CompletionResultType]::ParameterName, 'Run at most once per DURATION across every host (cron on many hosts): after acquiring, skip the command and exit 75 (-E), quietly (-v says so), when the last successful run recorded in PATH''s data started less than DURATION before; otherwise run it and record the run. Times are the server''s. Choose DURATION shorter than the cron period (12h for a nightly job)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Run this string with `sh -c` instead of a command after `--`')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'Run this string with `sh -c` instead of a command after `--`')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Identity stored in our node [default: <hostname>:<pid>]')
            [CompletionResult]::new('--kill-signal', '--kill-signal', [CompletionResultType]::ParameterName, 'Signal that stops the command when the lock is lost or zklock is told to stop')
            [CompletionResult]::new('--kill-grace', '--kill-grace', [CompletionResultType]::ParameterName, 'How long the command has after the kill signal before SIGKILL')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme')
            [CompletionResult]::new('--tls-no-hostname-verification', '--tls-no-hostname-verification', [CompletionResultType]::ParameterName, 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Fail at once (exit 75) when the lock is held by someone else')
            [CompletionResult]::new('--nonblock', '--nonblock', [CompletionResultType]::ParameterName, 'Fail at once (exit 75) when the lock is held by someone else')
            [CompletionResult]::new('--shared', '--shared', [CompletionResultType]::ParameterName, 'Take a read lock: held together with other readers, while no writer or exclusive holder is ahead (Curator InterProcessReadWriteLock''s read lock, `__READ__` nodes)')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Take the write lock of a read/write lock: alone, after every earlier reader and writer (Curator''s write lock, `__WRIT__` nodes); readers that come later wait for it')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Record the run in PATH''s data (who, when, how long, how it ended) for `ls -l PATH`, without --once-per''s skip')
            [CompletionResult]::new('--cgroup', '--cgroup', [CompletionResultType]::ParameterName, 'Insist on a cgroup v2 of the command''s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)')
            [CompletionResult]::new('--no-cgroup', '--no-cgroup', [CompletionResultType]::ParameterName, 'Run the command without a cgroup of its own (its process group and zklock''s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)')
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Run a command while holding a lock (the default subcommand)')
            [CompletionResult]::new('elect', 'elect', [CompletionResultType]::ParameterValue, 'Run a command while this process leads an election; or show the leader')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Print (or run a command on) every change of a znode, its children or its subtree')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List znodes; for a lock or election directory, who holds it and who waits')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zklock;lock' {
            [CompletionResult]::new('-w', '-w', [CompletionResultType]::ParameterName, 'Give up (exit 75) when the lock is not acquired within this, the connect included (69 when no server answered within it); with the server frozen, cleaning up adds at most ~4 s')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Give up (exit 75) when the lock is not acquired within this, the connect included (69 when no server answered within it); with the server frozen, cleaning up adds at most ~4 s')
            [CompletionResult]::new('-E', '-E ', [CompletionResultType]::ParameterName, 'Exit status when the lock is not acquired (-n, --wait)')
            [CompletionResult]::new('--conflict-exit-code', '--conflict-exit-code', [CompletionResultType]::ParameterName, 'Exit status when the lock is not acquired (-n, --wait)')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2''s layout: PATH/locks and PATH/leases)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'A semaphore: at most N commands at once on PATH, first come first served (Curator InterProcessSemaphoreV2''s layout: PATH/locks and PATH/leases)')
            [CompletionResult]::new('--once-per', '--once-per', [CompletionResultType]::ParameterName, 'Run at most once per DURATION across every host (cron on many hosts): after acquiring, skip the command and exit 75 (-E), quietly (-v says so), when the last successful run recorded in PATH''s data started less than DURATION before; otherwise run it and record the run. Times are the server''s. Choose DURATION shorter than the cron period (12h for a nightly job)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Run this string with `sh -c` instead of a command after `--`')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'Run this string with `sh -c` instead of a command after `--`')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Identity stored in our node [default: <hostname>:<pid>]')
            [CompletionResult]::new('--kill-signal', '--kill-signal', [CompletionResultType]::ParameterName, 'Signal that stops the command when the lock is lost or zklock is told to stop')
            [CompletionResult]::new('--kill-grace', '--kill-grace', [CompletionResultType]::ParameterName, 'How long the command has after the kill signal before SIGKILL')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--servers', '--servers', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--session-timeout', '--session-timeout', [CompletionResultType]::ParameterName, 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w''s end')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file')
            [CompletionResult]::new('--sasl-user', '--sasl-user', [CompletionResultType]::ParameterName, 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag')
            [CompletionResult]::new('--sasl-mechanism', '--sasl-mechanism', [CompletionResultType]::ParameterName, 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)')
            [CompletionResult]::new('--sasl-service', '--sasl-service', [CompletionResultType]::ParameterName, 'Kerberos: the service part of the servers'' principal, SERVICE/HOST@REALM, HOST being the server''s name as written in --servers [default: zookeeper]')
            [CompletionResult]::new('--sasl-password-file', '--sasl-password-file', [CompletionResultType]::ParameterName, 'File holding the SASL password (one line)')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`')
            [CompletionResult]::new('--client-config', '--client-config', [CompletionResultType]::ParameterName, 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it')
            [CompletionResult]::new('--acl', '--acl', [CompletionResultType]::ParameterName, 'ACL of every node zklock creates: open, creator (all rights to this session''s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Fail at once (exit 75) when the lock is held by someone else')
            [CompletionResult]::new('--nonblock', '--nonblock', [CompletionResultType]::ParameterName, 'Fail at once (exit 75) when the lock is held by someone else')
            [CompletionResult]::new('--shared', '--shared', [CompletionResultType]::ParameterName, 'Take a read lock: held together with other readers, while no writer or exclusive holder is ahead (Curator InterProcessReadWriteLock''s read lock, `__READ__` nodes)')
            [CompletionResult]::new('--write', '--write', [CompletionResultType]::ParameterName, 'Take the write lock of a read/write lock: alone, after every earlier reader and writer (Curator''s write lock, `__WRIT__` nodes); readers that come later wait for it')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Record the run in PATH''s data (who, when, how long, how it ended) for `ls -l PATH`, without --once-per''s skip')
            [CompletionResult]::new('--cgroup', '--cgroup', [CompletionResultType]::ParameterName, 'Insist on a cgroup v2 of the command''s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)')
            [CompletionResult]::new('--no-cgroup', '--no-cgroup', [CompletionResultType]::ParameterName, 'Run the command without a cgroup of its own (its process group and zklock''s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme')
            [CompletionResult]::new('--tls-no-hostname-verification', '--tls-no-hostname-verification', [CompletionResultType]::ParameterName, 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zklock;elect' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Run this string with `sh -c` instead of a command after `--`')
            [CompletionResult]::new('--command', '--command', [CompletionResultType]::ParameterName, 'Run this string with `sh -c` instead of a command after `--`')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'Identity stored in our node [default: <hostname>:<pid>]')
            [CompletionResult]::new('--kill-signal', '--kill-signal', [CompletionResultType]::ParameterName, 'Signal that stops the command when the lock is lost or zklock is told to stop')
            [CompletionResult]::new('--kill-grace', '--kill-grace', [CompletionResultType]::ParameterName, 'How long the command has after the kill signal before SIGKILL')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--servers', '--servers', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--session-timeout', '--session-timeout', [CompletionResultType]::ParameterName, 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w''s end')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file')
            [CompletionResult]::new('--sasl-user', '--sasl-user', [CompletionResultType]::ParameterName, 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag')
            [CompletionResult]::new('--sasl-mechanism', '--sasl-mechanism', [CompletionResultType]::ParameterName, 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)')
            [CompletionResult]::new('--sasl-service', '--sasl-service', [CompletionResultType]::ParameterName, 'Kerberos: the service part of the servers'' principal, SERVICE/HOST@REALM, HOST being the server''s name as written in --servers [default: zookeeper]')
            [CompletionResult]::new('--sasl-password-file', '--sasl-password-file', [CompletionResultType]::ParameterName, 'File holding the SASL password (one line)')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`')
            [CompletionResult]::new('--client-config', '--client-config', [CompletionResultType]::ParameterName, 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it')
            [CompletionResult]::new('--acl', '--acl', [CompletionResultType]::ParameterName, 'ACL of every node zklock creates: open, creator (all rights to this session''s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]')
            [CompletionResult]::new('--leader', '--leader', [CompletionResultType]::ParameterName, 'Print the current leader''s id and exit (exit 3 when there is none)')
            [CompletionResult]::new('--observe', '--observe', [CompletionResultType]::ParameterName, 'Print the leader''s id on every change until interrupted')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'With --leader or --observe: a JSON object (id, node, since) a line')
            [CompletionResult]::new('--cgroup', '--cgroup', [CompletionResultType]::ParameterName, 'Insist on a cgroup v2 of the command''s own: warn when none can be made. (Where zklock may make one — root, or a systemd unit with Delegate=yes — every command gets one anyway, so even descendants that left its session die with it.)')
            [CompletionResult]::new('--no-cgroup', '--no-cgroup', [CompletionResultType]::ParameterName, 'Run the command without a cgroup of its own (its process group and zklock''s sweep still stop its descendants, but not one that left its session if zklock is SIGKILLed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme')
            [CompletionResult]::new('--tls-no-hostname-verification', '--tls-no-hostname-verification', [CompletionResultType]::ParameterName, 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zklock;watch' {
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--servers', '--servers', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--session-timeout', '--session-timeout', [CompletionResultType]::ParameterName, 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w''s end')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file')
            [CompletionResult]::new('--sasl-user', '--sasl-user', [CompletionResultType]::ParameterName, 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag')
            [CompletionResult]::new('--sasl-mechanism', '--sasl-mechanism', [CompletionResultType]::ParameterName, 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)')
            [CompletionResult]::new('--sasl-service', '--sasl-service', [CompletionResultType]::ParameterName, 'Kerberos: the service part of the servers'' principal, SERVICE/HOST@REALM, HOST being the server''s name as written in --servers [default: zookeeper]')
            [CompletionResult]::new('--sasl-password-file', '--sasl-password-file', [CompletionResultType]::ParameterName, 'File holding the SASL password (one line)')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`')
            [CompletionResult]::new('--client-config', '--client-config', [CompletionResultType]::ParameterName, 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it')
            [CompletionResult]::new('--acl', '--acl', [CompletionResultType]::ParameterName, 'ACL of every node zklock creates: open, creator (all rights to this session''s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]')
            [CompletionResult]::new('--children', '--children', [CompletionResultType]::ParameterName, 'Watch its child list instead of the node itself')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Watch every descendant (a persistent recursive watch)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Watch every descendant (a persistent recursive watch)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Append the node''s new data to each line')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Append the node''s new data to each line')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object a line: event, path, zxid/version where known, data')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Exit 0 after the first event')
            [CompletionResult]::new('--initial', '--initial', [CompletionResultType]::ParameterName, 'Print the current state first (`initial <path>` for each node that exists)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme')
            [CompletionResult]::new('--tls-no-hostname-verification', '--tls-no-hostname-verification', [CompletionResultType]::ParameterName, 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zklock;ls' {
            [CompletionResult]::new('--stale', '--stale', [CompletionResultType]::ParameterName, 'The run records at PATH and below it (one level; every level with -R) whose last success started longer ago than DURATION (default: 1.5 × the period recorded with the run, see zklock-lock(1): once per period), or that never succeeded: a line each, and exit 2; exit 0 when none is. A record without a period is reported as unknown when no DURATION is given (not stale)')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--servers', '--servers', [CompletionResultType]::ParameterName, 'ZooKeeper connect string: host:port[,host:port]...[/chroot]')
            [CompletionResult]::new('--session-timeout', '--session-timeout', [CompletionResultType]::ParameterName, 'Requested session timeout; the server negotiates it within [2, 20] x tickTime, and every safety deadline uses the negotiated value')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up (exit 69) when no server answers within this; a server silent for a third of it is given up for the next one. With -w, servers that close new connections at once (at their maxClientCnxns) are waited for until -w''s end')
            [CompletionResult]::new('--tls-ca', '--tls-ca', [CompletionResultType]::ParameterName, 'PEM bundle of the CAs that sign the servers'' certificates [default: the system''s]')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Our client certificate (PEM; the key may follow it in the same file, as in ZooKeeper''s PEM keystores); the session gets the x509 identity CN=..,O=..')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM, unencrypted), when not in the certificate''s file')
            [CompletionResult]::new('--sasl-user', '--sasl-user', [CompletionResultType]::ParameterName, 'SASL DIGEST-MD5 login; the password comes from ZKLOCK_SASL_PASSWORD or --sasl-password-file, never from a flag')
            [CompletionResult]::new('--sasl-mechanism', '--sasl-mechanism', [CompletionResultType]::ParameterName, 'SASL mechanism: digest-md5 (the default with --sasl-user) or gssapi (Kerberos: logs in with the ticket from kinit, or a keytab in KRB5_CLIENT_KTNAME; only in builds with the cargo feature gssapi)')
            [CompletionResult]::new('--sasl-service', '--sasl-service', [CompletionResultType]::ParameterName, 'Kerberos: the service part of the servers'' principal, SERVICE/HOST@REALM, HOST being the server''s name as written in --servers [default: zookeeper]')
            [CompletionResult]::new('--sasl-password-file', '--sasl-password-file', [CompletionResultType]::ParameterName, 'File holding the SASL password (one line)')
            [CompletionResult]::new('--auth', '--auth', [CompletionResultType]::ParameterName, 'Digest login (addAuth), e.g. digest:user:secret; the env form keeps secrets out of `ps`')
            [CompletionResult]::new('--client-config', '--client-config', [CompletionResultType]::ParameterName, 'A zkCli/Curator client properties file (zookeeper.client.secure, zookeeper.ssl.keyStore and trustStore location and type (PEM), zookeeper.ssl.hostnameVerification); flags and environment override it')
            [CompletionResult]::new('--acl', '--acl', [CompletionResultType]::ParameterName, 'ACL of every node zklock creates: open, creator (all rights to this session''s identities; other identities cannot wait behind its nodes), read (creator all, world read) or scheme:id:perms,... with perms from rwcda [default: new lock directories copy their nearest ancestor''s ACL; contender nodes are read when authenticated, open when not]')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'Every descendant, as full paths, in tree order (each node followed by its descendants)')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'Every descendant, as full paths, in tree order (each node followed by its descendants)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Show each node''s data')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Show each node''s data')
            [CompletionResult]::new('-l', '-l', [CompletionResultType]::ParameterName, 'Type, owner session, version, sizes, mtime, and each contender''s role, id and age; first, the last run recorded in PATH, if any (zklock-lock(1): once per period)')
            [CompletionResult]::new('--long', '--long', [CompletionResultType]::ParameterName, 'Type, owner session, version, sizes, mtime, and each contender''s role, id and age; first, the last run recorded in PATH, if any (zklock-lock(1): once per period)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON document (data as UTF-8, or base64 when it is not)')
            [CompletionResult]::new('--holder', '--holder', [CompletionResultType]::ParameterName, 'Is PATH (a lock, read/write lock, semaphore or election) held, and by whom: prints each holder''s id and exits 0, or exits 3 when nobody holds it')
            [CompletionResult]::new('--prometheus', '--prometheus', [CompletionResultType]::ParameterName, 'Prometheus metrics of every lock, election and semaphore directory and run record at PATH and below it (one level; every level with -R), for node_exporter''s textfile collector: held, holders, waiters, since when each holder holds, the semaphore''s N, the last run and the last success (server times), and the period')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Session events, negotiated timeout, queue position and timings on stderr (repeatable)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Nothing on stderr but fatal errors')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'TLS to every server (as zookeeper.client.secure=true); a host written tcp+tls://host:port uses TLS on its own. Implied by --tls-ca/--tls-cert when no host names its scheme')
            [CompletionResult]::new('--tls-no-hostname-verification', '--tls-no-hostname-verification', [CompletionResultType]::ParameterName, 'Accept a server certificate that does not name the host connected to (as zookeeper.ssl.hostnameVerification=false); warns on every run')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'zklock;help' {
            [CompletionResult]::new('lock', 'lock', [CompletionResultType]::ParameterValue, 'Run a command while holding a lock (the default subcommand)')
            [CompletionResult]::new('elect', 'elect', [CompletionResultType]::ParameterValue, 'Run a command while this process leads an election; or show the leader')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Print (or run a command on) every change of a znode, its children or its subtree')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List znodes; for a lock or election directory, who holds it and who waits')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'zklock;help;lock' {
            break
        }
        'zklock;help;elect' {
            break
        }
        'zklock;help;watch' {
            break
        }
        'zklock;help;ls' {
            break
        }
        'zklock;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
