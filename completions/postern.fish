# fish completion for postern(1)
#
# One line per option, in the order of --help; tests/options.bats checks
# that the long options here are those of --help.  An option that takes
# an argument is marked -x (or -r with files) and listed in
# __fish_postern_needs_host too.

# True while no operand has been given yet: the next one is the HOST.
function __fish_postern_needs_host
    set -l args (commandline -opc)
    set -e args[1]
    set -l skip 0
    for a in $args
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $a
            case -x --proxy -U --proxy-user --netrc-file --auth --pac \
                    --proxy-cacert --proxy-capath --proxy-cert --proxy-key \
                    --proxy-service-name \
                    -H --header -A --user-agent -t --connect-timeout \
                    --idle-timeout -L --listen --allow --max-tunnels
                set skip 1
            case '-*'
            case '*'
                return 1
        end
    end
    return 0
end

# The schemes --auth takes, for a comma-separated list.
function __fish_postern_auth_schemes
    printf '%s\t%s\n' basic 'Basic: the password in clear unless over https' \
        digest 'Digest: SHA-512-256, SHA-256, MD5' \
        ntlm 'NTLMv2, DOMAIN\\user or user@domain' \
        negotiate 'Kerberos: the ticket from kinit, no password' \
        any 'Every scheme built in (the default)'
end

complete -c postern -f
complete -c postern -s x -l proxy -x -a '(__fish_print_hostnames)' -d 'Proxy to CONNECT through: http://, https:// or host:port; repeat to chain'
complete -c postern -s U -l proxy-user -x -d 'Credentials for the first proxy: USER[:PASS]'
complete -c postern -l netrc-file -r -F -d 'Where to look up credentials (default $NETRC, ~/.netrc)'
complete -c postern -l pac -r -F -d 'Proxy auto-configuration: http(s)://, file://, a path'
complete -c postern -l no-netrc -d 'Do not read any netrc file'
complete -c postern -l auth -x -a '(__fish_complete_list , __fish_postern_auth_schemes)' -d 'Allowed authentication schemes'
complete -c postern -l proxy-cacert -r -F -d 'Trust anchors for an https proxy (PEM)'
complete -c postern -l proxy-capath -x -a '(__fish_complete_directories (commandline -ct))' -d 'Directory of trust anchors for an https proxy'
complete -c postern -l proxy-cert -r -F -d 'TLS client certificate for the proxy (PEM)'
complete -c postern -l proxy-key -r -F -d 'Its private key (PEM; default: in the certificate file)'
complete -c postern -l proxy-insecure -d "Do not verify the proxy's certificate (unsafe)"
complete -c postern -l proxy-service-name -x -d 'Kerberos service for Negotiate (default HTTP)'
complete -c postern -s H -l header -x -d "Extra header on the CONNECT request: 'NAME: VALUE'"
complete -c postern -s A -l user-agent -x -d 'User-Agent of the CONNECT request'
complete -c postern -s t -l connect-timeout -x -d 'Bound on reaching the proxy and the CONNECT exchange (seconds)'
complete -c postern -s N -l half-close -d 'Pass the end of input on to the tunnel and keep reading'
complete -c postern -l idle-timeout -x -d 'End the tunnel after SECS without traffic'
complete -c postern -l fdpass -d 'Hand the connected socket to ssh (ProxyUseFdpass yes)'
complete -c postern -l check -d 'Go as far as the CONNECT, report each step, do not relay'
complete -c postern -s L -l listen -x -d 'Listen on [ADDR:]PORT (or systemd) and tunnel each connection'
complete -c postern -l allow -x -d 'Clients allowed to connect to the listener (CIDR list)'
complete -c postern -l max-tunnels -x -d 'Tunnels of the listener at once (default 256)'
complete -c postern -s 4 -l ipv4 -d 'Reach the proxy over IPv4 only'
complete -c postern -s 6 -l ipv6 -d 'Reach the proxy over IPv6 only'
complete -c postern -s v -l verbose -d 'Trace the exchange on stderr (repeat for more)'
complete -c postern -s q -l quiet -d 'Print nothing but errors'
complete -c postern -s V -l version -d 'Print the version and the features built in'
complete -c postern -s h -l help -d 'Print help'
complete -c postern -n __fish_postern_needs_host -a '(__fish_print_hostnames)' -d Host
