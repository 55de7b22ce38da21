# fish completion for postern(1)
#
# One line per option, in the order of --help; tests/options.bats checks
# that the long options here are those of --help.  An option that takes
# an argument is marked -x and listed in __fish_postern_needs_host too.

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
            case -x --proxy -H --header -A --user-agent -t --connect-timeout
                set skip 1
            case '-*'
            case '*'
                return 1
        end
    end
    return 0
end

complete -c postern -f
complete -c postern -s x -l proxy -x -a '(__fish_print_hostnames)' -d 'Proxy to CONNECT through: http://host[:port] or host:port'
complete -c postern -s H -l header -x -d "Extra header on the CONNECT request: 'NAME: VALUE'"
complete -c postern -s A -l user-agent -x -d 'User-Agent of the CONNECT request'
complete -c postern -s t -l connect-timeout -x -d 'Bound on reaching the proxy and the CONNECT exchange (seconds)'
complete -c postern -s N -l half-close -d 'Pass the end of input on to the tunnel and keep reading'
complete -c postern -s 4 -l ipv4 -d 'Reach the proxy over IPv4 only'
complete -c postern -s 6 -l ipv6 -d 'Reach the proxy over IPv6 only'
complete -c postern -s v -l verbose -d 'Trace the exchange on stderr (repeat for more)'
complete -c postern -s q -l quiet -d 'Print nothing but errors'
complete -c postern -s V -l version -d 'Print the version and the features built in'
complete -c postern -s h -l help -d 'Print help'
complete -c postern -n __fish_postern_needs_host -a '(__fish_print_hostnames)' -d Host
