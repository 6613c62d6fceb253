#!/usr/bin/perl
# vigild --metrics: the handlers' metrics (Vigil::metric_counter,
# metric_aggr) on http://127.0.0.1:PORT/metrics, scraped by a real
# Prometheus server (Debian's prometheus package) whose query API then
# returns exactly the count of a known workload's syscalls.  The
# endpoint directly: the text format (HELP and TYPE lines, a histogram's
# cumulative _bucket series up to le="+Inf", _sum, _count), 404 for
# other paths, 405 for other methods; no port without --metrics; an
# address vigild cannot listen on (in use, not of this machine) stops
# it at start with a message naming it.  vigild reads the kernel's
# tracepoints (--source kernel), as root.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

need_kernel_source();
my $prometheus = (grep { -x } '/usr/bin/prometheus', '/usr/local/bin/prometheus')[0];
unless ($prometheus) {
    my $why = 'no prometheus server (Debian package prometheus; scripts/install-deps installs it)';
    if ($ENV{CI}) { plan tests => 1; fail($why); exit 1 }
    plan skip_all => $why;
}

my $http = HTTP::Tiny->new(timeout => 10);
my $dir = File::Temp::tempdir(CLEANUP => 1);

# A port nobody listens on now (the kernel's choice for port 0).
sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or die "no free port: $!";
    my $p = $s->sockport;
    close $s;
    return $p;
}

# TCP ports process $pid listens on.
sub listening_ports {
    my ($pid) = @_;
    my %mine;
    for my $fd (glob "/proc/$pid/fd/*") {
        my $l = readlink($fd) // next;
        $mine{$1} = 1 if $l =~ /^socket:\[(\d+)\]$/;
    }
    my @ports;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $f or next;
        <$fh>;
        while (<$fh>) {
            my @c = split ' ';
            # local_address st ... inode (field 9); st 0A: LISTEN
            push @ports, hex((split /:/, $c[1])[1]) if $c[3] eq '0A' && $mine{ $c[9] };
        }
    }
    return sort { $a <=> $b } @ports;
}

my $handler = write_file("$dir/metrics.pl", <<'PL');
use Vigil;
use Vigil::Aggr;
my $lat = Vigil::Aggr->new(type => 'hist', keys => ['pid']);
Vigil::metric_aggr('vigil_test_getppid_ns', $lat, help => 'getppid time by process, in ns');
on 'syscalls:sys_exit_getppid' => sub {
    my $e = shift;
    Vigil::metric_counter('vigil_test_getppid_total', help => 'getppid calls by process',
                          labels => { pid => $e->{common_pid} })->inc;
    my $en = $e->enter;
    $lat->add($e->{common_pid}, $e->{common_ts} - $en->{common_ts}) if $en;
};
my $events = Vigil::metric_gauge('vigil_test_events', help => "events the handlers got\nso far");
every 0.2 => sub { $events->set(Vigil::stats()->{perl_events}) };
PL

my $port = free_port();
my $url = "http://127.0.0.1:$port/metrics";
my ($wl, %got, $prom_err);
my $r = live_run(
    scripts => [$handler],
    opts => ['--metrics', $port],
    work => sub {
        my ($run) = @_;
        my $pid = vigild_pid($run);
        $got{ports} = [ $pid ? listening_ports($pid) : () ];
        $wl = run_workload(1000, 0, '/nonexistent/vigil-metrics-test');
        # the exits reach the handler soon after the workload ends
        wait_for(sub {
            my $res = $http->get($url);
            $got{text} = $res->{content};
            return $res->{content} =~ /^vigil_test_getppid_total\{pid="$wl"\} 1000$/m;
        }, 30);
        $got{get} = $http->get($url);
        $got{head} = $http->request('HEAD', $url);
        $got{other} = $http->get("http://127.0.0.1:$port/other");
        $got{root} = $http->get("http://127.0.0.1:$port/");
        $got{post} = $http->post_form($url, { a => 1 });
        $got{prom} = scrape_with_prometheus($port, $wl);
        (undef, $got{status}) = vigilctl($run->{sock}, 'status');
        return 1;
    });
ok($r->{ready}, 'vigild --source kernel --metrics PORT traces') or diag $r->{err};
is($r->{rc}, 0, 'exit 0 after SIGTERM') or diag $r->{err};
like($r->{err}, qr{metrics for Prometheus: \Q$url\E}, 'the log says where the metrics are');
nothing_lost($r);
is_deeply($got{ports}, [$port], 'vigild listens on the metrics port, and on no other TCP port');

my $g = $got{get} // {};
is($g->{status}, 200, 'GET /metrics: 200') or diag explain $g;
like($g->{headers}{'content-type'} // '', qr{^text/plain; version=0\.0\.4; charset=utf-8$},
     'the text exposition format\'s content type');
my $t = $g->{content} // '';
like($t, qr/^# HELP vigil_test_getppid_total getppid calls by process\n# TYPE vigil_test_getppid_total counter\n/m,
     'a counter\'s HELP and TYPE lines, before its samples');
like($t, qr/^vigil_test_getppid_total\{pid="$wl"\} 1000$/m,
     'the workload\'s 1000 getppid calls, counted under its pid') or diag $t;
like($t, qr/^# HELP vigil_test_events events the handlers got\\nso far\n# TYPE vigil_test_events gauge\nvigil_test_events \d+$/m,
     'a gauge, its help\'s newline escaped');
like($t, qr/^# HELP vigil_test_getppid_ns getppid time by process, in ns\n# TYPE vigil_test_getppid_ns histogram\n/m,
     'an aggregation published as a histogram');
my @b = $t =~ /^vigil_test_getppid_ns_bucket\{pid="$wl",le="([^"]+)"\} (\d+)$/mg;
my @le = @b[grep { $_ % 2 == 0 } 0 .. $#b];
my @cum = @b[grep { $_ % 2 } 0 .. $#b];
ok(@le >= 2, 'the histogram has buckets for the workload') or diag $t;
is($le[-1], '+Inf', '... the last one le="+Inf"');
is($cum[-1], 1000, '... counting all 1000 calls');
is_deeply([ grep { $cum[$_] < $cum[$_ - 1] } 1 .. $#cum ], [], '... cumulative: never decreasing');
is_deeply([ grep { $le[$_] ne '+Inf' && $le[$_] <= $le[$_ - 1] } 1 .. $#le ], [], '... bounds increasing');
like($t, qr/^vigil_test_getppid_ns_count\{pid="$wl"\} 1000$/m, '_count');
like($t, qr/^vigil_test_getppid_ns_sum\{pid="$wl"\} \d+$/m, '_sum');
is($got{head}{status}, 200, 'HEAD /metrics: 200');
like($got{head}{headers}{'content-type'} // '', qr{^text/plain; version=0\.0\.4}, '... with the content type');
is($got{other}{status}, 404, 'another path: 404');
is($got{root}{status}, 404, '/: 404');
is($got{post}{status}, 405, 'POST /metrics: 405');

like($got{status} // '', qr{^metrics: \Q$url\E \((\d+) scrapes\)$}m,
     'vigilctl status: where the metrics are, and how many scrapes') or diag $got{status};
my ($n_scrapes) = ($got{status} // '') =~ /^metrics: \S+ \((\d+) scrapes\)$/m;
cmp_ok($n_scrapes // 0, '>=', 3, '... counting those of this test and Prometheus\'');

my $p = $got{prom} // {};
ok($p->{ready}, 'prometheus started') or diag $p->{log};
is($p->{up}, '1', 'prometheus scraped vigild (up == 1)') or diag $p->{log};
is($p->{value}, '1000', 'and its query API returns the workload\'s 1000 getppid calls')
    or diag(explain($p->{answer}), $p->{log});
is($p->{bucket}, '1000', 'the histogram\'s +Inf bucket through Prometheus too')
    or diag(explain($p->{answer_bucket}));

# Prometheus 2.42 from its Debian package, on a free port, with its own
# storage, scraping vigild every second; its query API asked until the
# value is there (or a minute went by).
sub scrape_with_prometheus {
    my ($target, $wl_pid) = @_;
    my $pport = free_port();
    my $pdir = "$dir/prometheus";
    mkdir $pdir;
    my $conf = write_file("$pdir/prometheus.yml", <<"YML");
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: vigild
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['127.0.0.1:$target']
YML
    my $bg = start_bg([$prometheus, "--config.file=$conf", "--storage.tsdb.path=$pdir/data",
                       "--web.listen-address=127.0.0.1:$pport", '--log.level=warn']);
    my $api = "http://127.0.0.1:$pport";
    my %res;
    $res{ready} = wait_for(sub {
        return 1 if ($http->get("$api/-/ready")->{status} // 0) == 200;
        return waitpid($bg->{pid}, POSIX::WNOHANG()) == $bg->{pid};
    }, 120) && ($http->get("$api/-/ready")->{status} // 0) == 200;
    my $query = sub {
        my ($q) = @_;
        my $res = $http->get("$api/api/v1/query?" . $http->www_form_urlencode({ query => $q }));
        my $j = eval { JSON::PP::decode_json($res->{content}) } // {};
        my $v = $j->{data}{result}[0]{value}[1];
        return ($v, $j);
    };
    if ($res{ready}) {
        wait_for(sub { ($res{up}) = $query->('up{job="vigild"}'); ($res{up} // '') eq '1' }, 60);
        wait_for(sub {
            ($res{value}, $res{answer}) = $query->(qq(vigil_test_getppid_total{pid="$wl_pid"}));
            ($res{value} // '') eq '1000';
        }, 60);
        ($res{bucket}, $res{answer_bucket}) =
            $query->(qq(vigil_test_getppid_ns_bucket{pid="$wl_pid",le="+Inf"}));
    }
    kill 'TERM', $bg->{pid};
    wait_bg($bg, 30);
    $res{log} = "prometheus: $bg->{stderr}";
    return \%res;
}

# A rendering that dies: 500 with its message, vigild goes on (and says so).
my $dying = write_file("$dir/dying.pl", <<'PL');
use Vigil;
Vigil::metric_counter('vigil_test_x_total')->inc;
{ no warnings 'redefine'; *Vigil::Metrics::exposition = sub { die "no text today\n" }; }
PL
my $port2 = free_port();
my %bad;
my $rb = live_run(scripts => [$dying], opts => ['--metrics', "127.0.0.1:$port2"], work => sub {
    $bad{res} = $http->get("http://127.0.0.1:$port2/metrics");
    $bad{again} = $http->get("http://127.0.0.1:$port2/metrics");
    return 1;
});
is($bad{res}{status}, 500, 'a rendering that dies: 500') or diag explain $bad{res};
like($bad{res}{content} // '', qr/^rendering the metrics: no text today$/m, '... with its message');
is($bad{again}{status}, 500, '... every time (vigild goes on)');
is($rb->{rc}, 0, '... and stops cleanly') or diag $rb->{err};
like($rb->{err}, qr/metrics: rendering the metrics: no text today \(1 failed scrape so far\)/,
     '... logging the first failure');

# Off by default: no port at all.
my %off;
my $r0 = live_run(scripts => [$handler], work => sub {
    my ($run) = @_;
    my $pid = vigild_pid($run);
    $off{pid} = $pid;
    $off{ports} = [ $pid ? listening_ports($pid) : () ];
    return 1;
});
ok($r0->{ready} && $off{pid}, 'vigild without --metrics traces') or diag $r0->{err};
is_deeply($off{ports}, [], 'and listens on no TCP port');
unlike($r0->{err}, qr/metrics for Prometheus/, 'nor says it serves metrics');

# Addresses it cannot listen on: errors at start, naming them.
my $busy = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
                                 Listen => 1) or die "listen: $!";
my $bport = $busy->sockport;
my $e1 = live_run(scripts => [$handler], opts => ['--metrics', "127.0.0.1:$bport"]);
is($e1->{rc}, 1, 'a port in use: exit 1');
like($e1->{err}, qr/^vigild: metrics: cannot listen on 127\.0\.0\.1:$bport: .*Address already in use/m,
     '... naming the address and why') or diag $e1->{err};
unlike($e1->{err}, qr/tracing \d+ CPUs/, '... before tracing');
close $busy;
my $e2 = live_run(scripts => [$handler], opts => ['--metrics', '192.0.2.1:9464']);
is($e2->{rc}, 1, 'an address not of this machine (TEST-NET-1): exit 1');
like($e2->{err}, qr/^vigild: metrics: cannot listen on 192\.0\.2\.1:9464: .*Cannot assign requested address/m,
     '... naming it') or diag $e2->{err};
my $e3 = live_run(scripts => [$handler], opts => ['--metrics', 'localhost:9464']);
is($e3->{rc}, 2, 'a name instead of an address: exit 2');
like($e3->{err}, qr/^vigild: --metrics: 'localhost:9464' is not \[ADDR:\]PORT/m, '... naming the option and value');

done_testing();
