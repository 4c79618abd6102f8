%% Erlang distribution baseline for kindred's bench (see bench/README.md).
%% Two nodes over loopback: `sink/0` runs on the receiving node, `run/3` on the sending node.
%% The sender prints one line "KBENCH {json}" with its figures and halts.
-module(kbench).
-export([sink/0, run/3]).

-define(TEXT, <<"hello world hello world hello world">>).

msg(Node, Id, N) ->
    #{to => #{node => Node, id => Id}, body => #{n => N, text => ?TEXT, ok => true}}.

%% Receiving node: register a counter and an echo process, then wait forever (the driver kills the node).
sink() ->
    register(kbench_counter, spawn(fun() -> count(0) end)),
    register(kbench_echo, spawn(fun echo/0)),
    %% For a sender that cannot rpc:call (a kindred node): {pids, From} -> From ! {pids, Counter, Echo}.
    register(kbench_pids, spawn(fun pids/0)),
    ok.

pids() ->
    receive
        {pids, From} -> From ! {pids, whereis(kbench_counter), whereis(kbench_echo)}, pids()
    end.

count(C) ->
    receive
        #{body := #{n := _}} -> count(C + 1);
        {done, From} -> From ! {count, C}, count(0)
    end.

echo() ->
    receive
        {ping, From, Msg} -> From ! {pong, Msg}, echo()
    end.

%% Sending node. Peer: the receiving node's name. N: one-way messages. Rounds: ping-pongs.
run(Peer, N, Rounds) ->
    true = net_kernel:connect_node(Peer),
    Counter = rpc:call(Peer, erlang, whereis, [kbench_counter]),
    Echo = rpc:call(Peer, erlang, whereis, [kbench_echo]),
    %% Warm-up, not timed: a few thousand messages and pings.
    Warm = min(N, 10000),
    {Warm, _} = oneway(Counter, Peer, Warm),
    _ = pingpong(Echo, Peer, min(Rounds, 1000)),
    {N, Us} = oneway(Counter, Peer, N),
    Rtts = lists:sort(pingpong(Echo, Peer, Rounds)),
    io:format("KBENCH {\"oneway\":{\"messages\":~b,\"confirmed\":~b,\"us\":~b},"
              "\"rtt\":{\"rounds\":~b,\"p50_us\":~.2f,\"p99_us\":~.2f},\"otp\":\"~s\"}~n",
              [N, N, Us, Rounds, pct(Rtts, 0.50), pct(Rtts, 0.99), erlang:system_info(otp_release)]),
    halt(0).

oneway(Counter, Peer, N) ->
    T0 = erlang:monotonic_time(microsecond),
    send_n(Counter, Peer, 0, N),
    Counter ! {done, self()},
    receive
        {count, C} ->
            T1 = erlang:monotonic_time(microsecond),
            case C of
                N -> {C, T1 - T0};
                _ -> erlang:error({count_mismatch, N, C})
            end
    after 120000 -> erlang:error(oneway_timeout)
    end.

send_n(_, _, N, N) -> ok;
send_n(To, Peer, I, N) ->
    To ! msg(Peer, 1, I),
    send_n(To, Peer, I + 1, N).

pingpong(Echo, Peer, Rounds) ->
    [ping(Echo, Peer, I) || I <- lists:seq(1, Rounds)].

ping(Echo, Peer, I) ->
    Msg = msg(Peer, 2, I),
    T0 = erlang:monotonic_time(nanosecond),
    Echo ! {ping, self(), Msg},
    receive {pong, #{body := #{n := I}}} -> ok after 10000 -> erlang:error(ping_timeout) end,
    (erlang:monotonic_time(nanosecond) - T0) / 1000.

%% Nearest-rank percentile of a sorted list.
pct(Sorted, P) ->
    Len = length(Sorted),
    Rank = max(1, min(Len, ceil(P * Len))),
    lists:nth(Rank, Sorted).
