%% The pod lab's Erlang app: what an Erlang/Elixir release does in a Kubernetes pod that clusters through the
%% headless Service's DNS records, the way libcluster's Cluster.Strategy.Kubernetes.DNSSRV (SRV targets, names
%% `<basename>@<pod FQDN>`) or Cluster.Strategy.Kubernetes.DNS and Phoenix's dns_cluster (A records, names
%% `<basename>@<pod IP>`) do.
%%
%% Started as `erl -name $KINDRED_NAME@$(hostname -f) -setcookie ... -kernel start_pg true -eval 'lab_app:start()'`,
%% or `erl -name $KINDRED_NAME@$POD_IP ...` under the pod-IP scheme (see test/lab/src/erlang-app.ts). It
%%  - polls, every KINDRED_POLL_INTERVAL_MS (default 5000, libcluster's polling_interval), what KINDRED_DISCOVERY
%%    (the kindred app's spec) names: `dns-srv:Q` the seed's k8s_reverse_lookup of Q, connecting to
%%    `<basename>@<SRV target>`; `dns-a:Q` inet_res:getbyname(Q, a), connecting to `<basename>@<IP>` (libcluster's
%%    Kubernetes.DNS, dns_cluster); it connects to every such node not connected yet (the basename is KINDRED_NAME,
%%    one for the whole cluster, like libcluster's `application_name` and dns_cluster's basename);
%%  - logs every nodeup/nodedown (net_kernel:monitor_nodes with nodedown_reason) to stdout as a JSON line;
%%  - keeps a member of the pg group `mixed` (default scope) that records what it receives;
%%  - serves HTTP on PORT (default 8080), for the lab's probes and tests only:
%%      GET /readyz          200 once started
%%      GET /nodes           {"self": Node, "nodes": nodes(), "events": [{"type","node","reason","at"}]}, the shape
%%                           of the kindred app's GET /nodes
%%      GET /eval?<expr>     evaluates the percent-encoded Erlang expression here, answers R printed as ~p on one line
%%    /eval runs any code: it exists because the lab is a private network of the test's own namespaces.
-module(lab_app).
-export([start/0, k8s_reverse_lookup/1, received/0, broadcast/1, events/0]).
-include_lib("kernel/include/inet.hrl").

%% kernel/src/inet_dns.hrl is not shipped by Debian's erlang-base; its two records, as OTP defines them:
-record(dns_rec, {header, qdlist = [], anlist = [], nslist = [], arlist = []}).
-record(dns_rr, {domain = "", type = any, class = in, cnt = 0, ttl = 0, data = [], tm, bm = [], func = false}).

-define(TABLE, lab_app).
-define(MAX_EVENTS, 200).

start() ->
    Self = self(),
    Owner = spawn(fun() -> init_owner(Self) end),
    receive {Owner, ready} -> ok end,
    {Kind, Query} = Discovery = discovery(os:getenv("KINDRED_DISCOVERY", "")),
    Base = os:getenv("KINDRED_NAME", "app"),
    Interval = list_to_integer(os:getenv("KINDRED_POLL_INTERVAL_MS", "5000")),
    Port = list_to_integer(os:getenv("PORT", "8080")),
    spawn(fun() -> http_listen(Port) end),
    spawn(fun() -> member() end),
    spawn(fun() -> poll(Discovery, Base, Interval) end),
    log([{event, started}, {node, node()}, {Kind, list_to_binary(Query)}, {basename, list_to_binary(Base)}]),
    ok.

%% KINDRED_DISCOVERY is the kindred app's spec, `dns-srv:QUERY` or `dns-a:QUERY`; the Erlang side reads the same
%% variable. Anything else is an SRV name.
discovery("dns-srv:" ++ Query) -> {srv, Query};
discovery("dns-a:" ++ Query) -> {a, Query};
discovery(Other) -> {srv, Other}.

%% The hosts discovery yields: SRV targets (pod FQDNs) or the A records' addresses (pod IPs), as node name hosts.
hosts({srv, Query}) ->
    k8s_reverse_lookup(Query);
hosts({a, Query}) ->
    %% libcluster's Kubernetes.DNS and dns_cluster both ask :inet_res.getbyname(Service, :a), which, unlike
    %% inet_res:lookup/3, applies resolv.conf's search list to a short Service name.
    {ok, #hostent{h_addr_list = Addresses}} = inet_res:getbyname(Query, a),
    {ok, lists:sort([inet:ntoa(A) || A <- Addresses])}.

%% The owner of the table and the node monitor: one long-lived process.
init_owner(Parent) ->
    ets:new(?TABLE, [named_table, public, ordered_set]),
    ets:insert(?TABLE, {received, []}),
    ok = net_kernel:monitor_nodes(true, [nodedown_reason]),
    Parent ! {self(), ready},
    owner_loop(0).

owner_loop(N) ->
    receive
        {nodeup, Node, _Info} ->
            record(N, nodeup, Node, undefined),
            owner_loop(N + 1);
        {nodedown, Node, Info} ->
            record(N, nodedown, Node, proplists:get_value(nodedown_reason, Info)),
            owner_loop(N + 1);
        _ ->
            owner_loop(N)
    end.

record(N, Type, Node, Reason) ->
    At = erlang:system_time(millisecond),
    ets:insert(?TABLE, {{event, N}, Type, Node, Reason, At}),
    ets:delete(?TABLE, {event, N - ?MAX_EVENTS}),
    Fields = [{event, Type}, {node, Node}] ++ case Reason of
        undefined -> [];
        _ -> [{reason, list_to_binary(io_lib:format("~p", [Reason]))}]
    end,
    log(Fields).

%% The recorded nodeup/nodedown events, oldest first: [{Type, Node, Reason, At}].
events() ->
    [{T, Node, R, At} || {{event, _}, T, Node, R, At} <- ets:tab2list(?TABLE)].

%% The seed's reverse lookup, verbatim.
-spec k8s_reverse_lookup(SrvRecord :: string()) -> {ok, [string()]}.
k8s_reverse_lookup(SrvRecord) ->
    % 1. get the FQDN of the headless service
    {ok, #hostent{h_name = SrvRecordFQDN}} = inet:gethostbyname(SrvRecord),
    % 2. ask for SRV records backing up the headless service, this will gives us back, all pod FQDN
    % names under the headless service subdomain
    {ok, #dns_rec{anlist = Answers}} = inet_res:resolve(SrvRecordFQDN, in, srv),
    % 3. go through each of these records and extract the host
    Hosts =
        lists:map(fun(#dns_rr{type = srv,
                              class = in,
                              data = {_Priority, _Weight, _Port, Host}}) ->
                          Host
                  end,
                  Answers),
    {ok, Hosts}.

%% libcluster's polling loop: every interval, connect to every `<basename>@<host>` not connected yet. A failed
%% lookup (DNS down, no record yet) keeps the cluster as it is and tries again next time.
poll(Discovery, Base, Interval) ->
    try hosts(Discovery) of
        {ok, Hosts} ->
            Connected = nodes(),
            [connect(Node) || Host <- Hosts,
                              Node <- [list_to_atom(Base ++ "@" ++ Host)],
                              Node =/= node(),
                              not lists:member(Node, Connected)]
    catch
        Class:Reason -> log([{event, lookup_failed}, {reason, list_to_binary(io_lib:format("~p:~p", [Class, Reason]))}])
    end,
    timer:sleep(Interval),
    poll(Discovery, Base, Interval).

connect(Node) ->
    Result = net_kernel:connect_node(Node),
    Result =:= true orelse log([{event, connect_failed}, {node, Node}]),
    Result.

%% A member of the pg group `mixed` in the default scope: keeps every message it receives.
member() ->
    register(lab_member, self()),
    ok = pg:join(mixed, self()),
    member_loop().

member_loop() ->
    receive
        Msg ->
            [{received, Old}] = ets:lookup(?TABLE, received),
            ets:insert(?TABLE, {received, Old ++ [Msg]}),
            log([{event, received}, {message, list_to_binary(io_lib:format("~p", [Msg]))}]),
            member_loop()
    end.

%% What the pg member received, oldest first.
received() ->
    [{received, L}] = ets:lookup(?TABLE, received),
    L.

%% Sends Msg to every member of the pg group `mixed` (default scope), on every node; returns how many.
broadcast(Msg) ->
    Members = pg:get_members(mixed),
    [P ! Msg || P <- Members],
    length(Members).

%% One JSON line on stdout.
log(Fields) ->
    io:format("~s~n", [json_object([{at, erlang:system_time(millisecond)} | Fields])]).

json_object(Fields) ->
    ["{", lists:join(",", [[json_string(atom_to_binary(K)), ":", json_value(V)] || {K, V} <- Fields]), "}"].

json_value(V) when is_integer(V) -> integer_to_list(V);
json_value(V) when is_atom(V) -> json_string(atom_to_binary(V));
json_value(V) when is_binary(V) -> json_string(V);
json_value(V) when is_list(V) -> ["[", lists:join(",", [json_value(E) || E <- V]), "]"];
json_value({object, Fields}) -> json_object(Fields).

json_string(Bin) ->
    [$", [escape(C) || <<C>> <= Bin], $"].

escape($") -> "\\\"";
escape($\\) -> "\\\\";
escape(C) when C < 32 -> io_lib:format("\\u~4.16.0b", [C]);
escape(C) -> C.

%% The HTTP side: one process per connection, one request per connection.
http_listen(Port) ->
    {ok, L} = gen_tcp:listen(Port, [binary, {packet, http_bin}, {active, false}, {reuseaddr, true}]),
    http_accept(L).

http_accept(L) ->
    {ok, S} = gen_tcp:accept(L),
    Pid = spawn(fun() -> receive go -> http_serve(S) end end),
    ok = gen_tcp:controlling_process(S, Pid),
    Pid ! go,
    http_accept(L).

http_serve(S) ->
    case gen_tcp:recv(S, 0, 5000) of
        {ok, {http_request, 'GET', {abs_path, Path}, _}} ->
            skip_headers(S),
            {Status, Body} = try route(Path) catch C:R:St -> {500, io_lib:format("~p:~p ~p~n", [C, R, St])} end,
            Bin = iolist_to_binary(Body),
            gen_tcp:send(S, [<<"HTTP/1.1 ">>, integer_to_list(Status), <<" X\r\ncontent-length: ">>,
                             integer_to_list(byte_size(Bin)), <<"\r\nconnection: close\r\n\r\n">>, Bin]);
        _ ->
            ok
    end,
    gen_tcp:close(S).

skip_headers(S) ->
    case gen_tcp:recv(S, 0, 5000) of
        {ok, {http_header, _, _, _, _}} -> skip_headers(S);
        _ -> ok
    end.

route(<<"/readyz">>) ->
    {200, "ok\n"};
route(<<"/nodes">>) ->
    Events = [{object, [{type, T}, {node, N}, {at, At}] ++
                   case R of undefined -> []; _ -> [{reason, list_to_binary(io_lib:format("~p", [R]))}] end}
              || {T, N, R, At} <- events()],
    {200, json_object([{self, node()}, {nodes, lists:sort(nodes())}, {events, Events}])};
route(<<"/eval?", Query/binary>>) ->
    Text = binary_to_list(uri_string:percent_decode(Query)),
    {ok, Tokens, _} = erl_scan:string(string:trim(Text, trailing, ". \n") ++ "."),
    {ok, Exprs} = erl_parse:parse_exprs(Tokens),
    {value, Value, _} = erl_eval:exprs(Exprs, erl_eval:new_bindings()),
    {200, io_lib:print(Value, 1, 1000000, -1)};
route(_) ->
    {404, "not found\n"}.
