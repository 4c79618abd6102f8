%% dns_peer: the Erlang side of a mixed kindred + Erlang/Elixir cluster, as small as libcluster's DNS strategies.
%% Every PEER_POLL_MS (default 5000, libcluster's polling_interval) it asks DNS for the cluster's members and
%% connects to every one it is not connected to:
%%   PEER_DISCOVERY=dns-srv:QUERY  SRV targets, node <basename>@<target>   (libcluster Kubernetes.DNSSRV)
%%   PEER_DISCOVERY=dns-a:QUERY    addresses,   node <basename>@<address>  (libcluster Kubernetes.DNS, dns_cluster)
%% The basename is this node's own (RELEASE_NODE's part before the @): like dns_cluster, only nodes of the same
%% basename are joined. A relative QUERY goes through /etc/resolv.conf's search list in glibc's order (ndots).
%% Nodes are never disconnected for missing from DNS (a dead one is dropped by net_ticktime). Prints
%% `dns_peer nodeup|nodedown|nodes ...` lines on stdout, for `kubectl logs` / `docker logs`.
-module(dns_peer).
-export([main/0, hosts/2]).

main() ->
    {Kind, Query} = discovery(os:getenv("PEER_DISCOVERY")),
    Poll = poll_ms(os:getenv("PEER_POLL_MS")),
    [Base, _] = string:split(atom_to_list(node()), "@"),
    ok = net_kernel:monitor_nodes(true, [{node_type, visible}, nodedown_reason]),
    say("started ~s, discovery ~s:~s every ~b ms", [node(), Kind, Query, Poll]),
    self() ! poll,
    loop(Kind, Query, Base, Poll, []).

loop(Kind, Query, Base, Poll, Last) ->
    receive
        poll ->
            [connect(list_to_atom(Base ++ "@" ++ H)) || H <- hosts(Kind, Query)],
            erlang:send_after(Poll, self(), poll),
            report(Kind, Query, Base, Poll, Last);
        {nodeup, N, _} ->
            say("nodeup ~s", [N]),
            report(Kind, Query, Base, Poll, Last);
        {nodedown, N, Info} ->
            say("nodedown ~s ~p", [N, proplists:get_value(nodedown_reason, Info)]),
            report(Kind, Query, Base, Poll, Last);
        _ ->
            loop(Kind, Query, Base, Poll, Last)
    end.

%% A `nodes` line whenever the set changed: what erl's nodes() lists now.
report(Kind, Query, Base, Poll, Last) ->
    Now = lists:sort(nodes()),
    case Now =:= Last of
        true -> ok;
        false -> say("nodes ~s", [string:join([atom_to_list(N) || N <- Now], " ")])
    end,
    loop(Kind, Query, Base, Poll, Now).

connect(N) when N =:= node() -> ok;
connect(N) ->
    case lists:member(N, nodes()) of
        true -> ok;
        false -> net_kernel:connect_node(N)
    end.

%% The member hosts DNS names for the query: SRV targets (without the root dot) or dotted addresses.
hosts(Kind, Query) ->
    Type = case Kind of "dns-srv" -> srv; "dns-a" -> a end,
    case lookup(candidates(Query), Type) of
        [] -> [];
        Records when Type =:= srv -> lists:usort([string:trim(T, trailing, ".") || {_, _, _, T} <- Records]);
        Records -> lists:usort([inet:ntoa(A) || A <- Records])
    end.

lookup([], _) -> [];
lookup([Name | Rest], Type) ->
    case inet_res:lookup(Name, in, Type) of
        [] -> lookup(Rest, Type);
        Records -> Records
    end.

%% glibc's order: a name ending in a dot as it is; one with at least `ndots` dots (resolv.conf, default 1) as it is,
%% then under each search domain; one with fewer under each search domain first, then as it is.
candidates(Query) ->
    Searched = [Query ++ "." ++ D || D <- inet_db:res_option(search)],
    Dots = length([C || C <- Query, C =:= $.]),
    Ndots = ndots(),
    case lists:last(Query) of
        $. -> [Query];
        _ when Dots >= Ndots -> [Query | Searched];
        _ -> Searched ++ [Query]
    end.

ndots() ->
    case file:read_file("/etc/resolv.conf") of
        {ok, Text} ->
            case re:run(Text, "^options.*\\bndots:(\\d+)", [multiline, {capture, all_but_first, list}]) of
                {match, [N]} -> list_to_integer(N);
                nomatch -> 1
            end;
        {error, _} -> 1
    end.

discovery("dns-srv:" ++ Q) when Q =/= "" -> {"dns-srv", Q};
discovery("dns-a:" ++ Q) when Q =/= "" -> {"dns-a", Q};
discovery(Other) -> stop("PEER_DISCOVERY must be dns-srv:QUERY or dns-a:QUERY, got ~p", [Other]).

poll_ms(false) -> 5000;
poll_ms(S) ->
    case string:to_integer(S) of
        {N, ""} when N >= 100 -> N;
        _ -> stop("PEER_POLL_MS must be a whole number of milliseconds >= 100, got ~p", [S])
    end.

stop(Format, Args) ->
    say(Format, Args),
    erlang:halt(2).

say(Format, Args) ->
    io:format("dns_peer " ++ Format ++ "~n", Args).
