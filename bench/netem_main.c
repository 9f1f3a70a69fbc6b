/*
 * pickaxe-netem — a wide-area link emulator for `make testnet`, for kernels
 * without tc netem (CONFIG_NET_SCH_NETEM unset).
 *
 *   pickaxe-netem [--delay MS] [--jitter MS] [--loss PCT] [--net A.B.C.D]
 *                 [--prefix LEN] [--seed N] [--queue-max PACKETS] NS...
 *
 * Each named network namespace (made beforehand with `ip netns add`, so
 * /run/netns/NS exists) gets a TUN device, px0, with address net + 1 + i
 * (the i-th namespace on the command line) on a /prefix subnet, and its
 * loopback brought up. The program keeps every device's file descriptor: it
 * is the switch between them. Every IPv4 packet a namespace sends into px0
 * is read here, dropped with probability PCT / 100, and otherwise written
 * into its destination's px0 after DELAY ± JITTER milliseconds (uniform).
 * A packet never overtakes an earlier one from the same namespace, as on a
 * real link whose jitter is queueing: a burst waits behind its slowest
 * packet. Round trips therefore take about twice DELAY.
 *
 * The devices live as long as this process holds them: when it exits
 * (SIGINT, SIGTERM, or killed) the kernel removes them, and deleting the
 * namespaces removes the rest. It prints "ready" on stdout once every
 * device is up, and on exit one line of counts as JSON (forwarded,
 * lost, overflow: dropped because queue-max packets were waiting,
 * unroutable: no such destination, max_queued).
 *
 * Must run as root (setns, /dev/net/tun). Bounded: at most queue-max
 * packets wait at once, each at most 64 KiB; each device is read at most
 * READ_BURST packets per wake-up so no namespace starves the others.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NETEM_DEV "px0"
#define NETEM_MTU 1500
#define NETEM_MAX_PKT 65536
#define NETEM_MAX_HOSTS 4096
#define READ_BURST 64

typedef struct {
    uint64_t due_ns;
    uint64_t seq; /* ties broken by arrival, so equal times keep order */
    uint8_t *data;
    uint32_t len;
    uint32_t dst;
} pkt_t;

/* A binary min-heap of packets by (due_ns, seq). */
typedef struct {
    pkt_t *v;
    size_t n, cap;
} heap_t;

typedef struct {
    int fd;
    uint64_t last_due_ns; /* its latest packet's delivery time */
} host_t;

typedef struct {
    double delay_ms, jitter_ms, loss_pct;
    uint32_t net, prefix;
    uint64_t seed;
    size_t queue_max;
} opts_t;

typedef struct {
    uint64_t forwarded, lost, overflow, unroutable, max_queued;
} counts_t;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: loss and jitter need speed, not cryptographic quality. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double rng_unit(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) /
           9007199254740992.0; /* 2^53 */
}

static bool before(const pkt_t *a, const pkt_t *b)
{
    return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

static int heap_push(heap_t *h, pkt_t p)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        pkt_t *v = realloc(h->v, cap * sizeof *v);
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0 && before(&p, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = p;
    return 0;
}

static pkt_t heap_pop(heap_t *h)
{
    pkt_t top = h->v[0];
    pkt_t last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* ---- setting the devices up ---------------------------------------------- */

static int set_if(int sock, const char *dev, unsigned long req, uint32_t addr)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(addr);
    return ioctl(sock, req, &ifr);
}

static int set_up(int sock, const char *dev, int mtu)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
    if (mtu) {
        ifr.ifr_mtu = mtu;
        if (ioctl(sock, SIOCSIFMTU, &ifr) != 0)
            return -1;
    }
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
        return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

/* Enters namespace ns, makes its px0 with address addr and brings it and
 * lo up. Returns the device's descriptor, or -1 (errno-style message
 * printed). The caller goes back to its own namespace. */
static int make_device(const char *ns, uint32_t addr, uint32_t prefix)
{
    char path[512];
    snprintf(path, sizeof path, "/run/netns/%s", ns);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
        fprintf(stderr, "pickaxe-netem: namespace %s: %s\n", ns,
                strerror(errno));
        if (nsfd >= 0)
            close(nsfd);
        return -1;
    }
    close(nsfd);
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", NETEM_DEV);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) != 0) {
        fprintf(stderr, "pickaxe-netem: %s: TUN device: %s\n", ns,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* A socket belongs to the namespace it was made in: this one
     * configures the devices of ns. */
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    uint32_t mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
    if (sock < 0 || set_up(sock, "lo", 0) != 0 ||
        set_if(sock, NETEM_DEV, SIOCSIFADDR, addr) != 0 ||
        set_if(sock, NETEM_DEV, SIOCSIFNETMASK, mask) != 0 ||
        set_up(sock, NETEM_DEV, NETEM_MTU) != 0) {
        fprintf(stderr, "pickaxe-netem: %s: configuring %s: %s\n", ns,
                NETEM_DEV, strerror(errno));
        if (sock >= 0)
            close(sock);
        close(fd);
        return -1;
    }
    close(sock);
    return fd;
}

/* ---- the switch ------------------------------------------------------------
 */

/* One packet read from host src: lost, unroutable, or queued. */
static void take_packet(heap_t *h, host_t *hosts, size_t count, const opts_t *o,
                        counts_t *c, uint32_t src, const uint8_t *buf,
                        size_t len, uint64_t *seq)
{
    if (len < 20 || (buf[0] >> 4) != 4) {
        c->unroutable++; /* not IPv4 (IPv6 router solicitations...) */
        return;
    }
    uint32_t dst_addr = (uint32_t)buf[16] << 24 | (uint32_t)buf[17] << 16 |
                        (uint32_t)buf[18] << 8 | buf[19];
    uint32_t host = dst_addr - o->net;
    if (dst_addr < o->net || host == 0 || host > count || host - 1 == src) {
        c->unroutable++;
        return;
    }
    if (o->loss_pct > 0 && rng_unit() * 100.0 < o->loss_pct) {
        c->lost++;
        return;
    }
    if (h->n >= o->queue_max) {
        c->overflow++;
        return;
    }
    double ms = o->delay_ms + (rng_unit() * 2.0 - 1.0) * o->jitter_ms;
    uint64_t due = now_ns() + (uint64_t)(ms > 0 ? ms * 1e6 : 0);
    if (due < hosts[src].last_due_ns)
        due = hosts[src].last_due_ns; /* no overtaking on one link */
    hosts[src].last_due_ns = due;
    pkt_t p = {.due_ns = due,
               .seq = (*seq)++,
               .len = (uint32_t)len,
               .dst = host - 1,
               .data = malloc(len)};
    if (p.data)
        memcpy(p.data, buf, len);
    if (!p.data || heap_push(h, p) != 0) {
        free(p.data);
        c->overflow++;
        return;
    }
    if (h->n > c->max_queued)
        c->max_queued = h->n;
}

static void deliver_due(heap_t *h, host_t *hosts, counts_t *c)
{
    uint64_t now = now_ns();
    while (h->n && h->v[0].due_ns <= now) {
        pkt_t p = heap_pop(h);
        /* A full receive queue in the destination kernel drops the packet,
         * as a congested link would. */
        if (write(hosts[p.dst].fd, p.data, p.len) == (ssize_t)p.len)
            c->forwarded++;
        else
            c->overflow++;
        free(p.data);
    }
}

static int run(host_t *hosts, size_t count, const opts_t *o, counts_t *c)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, hosts[i].fd, &ev) != 0) {
            close(ep);
            return -1;
        }
    }
    heap_t h = {0};
    uint64_t seq = 0;
    static uint8_t buf[NETEM_MAX_PKT];
    struct epoll_event evs[256];
    while (!stop_flag) {
        int timeout = -1;
        if (h.n) {
            uint64_t now = now_ns(), due = h.v[0].due_ns;
            timeout = due <= now ? 0 : (int)((due - now + 999999) / 1000000);
        }
        int k = epoll_wait(ep, evs, 256, timeout);
        if (k < 0 && errno != EINTR)
            break;
        for (int e = 0; e < k; e++) {
            uint32_t src = evs[e].data.u32;
            for (int r = 0; r < READ_BURST; r++) {
                ssize_t len = read(hosts[src].fd, buf, sizeof buf);
                if (len <= 0)
                    break;
                take_packet(&h, hosts, count, o, c, src, buf, (size_t)len,
                            &seq);
            }
        }
        deliver_due(&h, hosts, c);
    }
    while (h.n)
        free(heap_pop(&h).data);
    free(h.v);
    close(ep);
    return 0;
}

static double parse_num(const char *s, const char *what, double lo, double hi)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        fprintf(stderr, "pickaxe-netem: %s: %s is not in %g..%g\n", what, s, lo,
                hi);
        exit(2);
    }
    return v;
}

static const char usage_text[] =
    "usage: pickaxe-netem [--delay MS] [--jitter MS] [--loss PCT]\n"
    "                     [--net A.B.C.D] [--prefix LEN] [--seed N]\n"
    "                     [--queue-max PACKETS] NAMESPACE...\n"
    "Gives each namespace a TUN device px0 (address net + 1 + its place on\n"
    "the command line) and forwards IPv4 packets between them after DELAY\n"
    "+- JITTER ms (uniform, no overtaking on one link), losing PCT %.\n"
    "Prints \"ready\" once the devices are up; on SIGINT or SIGTERM removes\n"
    "them and prints its counts as JSON. Root only.\n";

int main(int argc, char **argv)
{
    opts_t o = {.delay_ms = 50,
                .jitter_ms = 20,
                .loss_pct = 0.5,
                .net = 0x0a4d0000u /* 10.77.0.0 */,
                .prefix = 16,
                .seed = 1,
                .queue_max = 200000};
    static const struct option longs[] = {
        {"delay", required_argument, NULL, 'd'},
        {"jitter", required_argument, NULL, 'j'},
        {"loss", required_argument, NULL, 'l'},
        {"net", required_argument, NULL, 'n'},
        {"prefix", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},
        {"queue-max", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;
    struct in_addr ia;
    while ((opt = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (opt) {
        case 'd':
            o.delay_ms = parse_num(optarg, "--delay", 0, 60000);
            break;
        case 'j':
            o.jitter_ms = parse_num(optarg, "--jitter", 0, 60000);
            break;
        case 'l':
            o.loss_pct = parse_num(optarg, "--loss", 0, 100);
            break;
        case 'p':
            o.prefix = (uint32_t)parse_num(optarg, "--prefix", 8, 30);
            break;
        case 's':
            o.seed = (uint64_t)parse_num(optarg, "--seed", 0, 1e18);
            break;
        case 'q':
            o.queue_max = (size_t)parse_num(optarg, "--queue-max", 1, 1e7);
            break;
        case 'n':
            if (inet_pton(AF_INET, optarg, &ia) != 1) {
                fprintf(stderr, "pickaxe-netem: --net: not an address\n");
                return 2;
            }
            o.net = ntohl(ia.s_addr);
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 0;
        default:
            fputs(usage_text, stderr);
            return 2;
        }
    }
    size_t count = (size_t)(argc - optind);
    uint64_t room = (1ull << (32 - o.prefix)) - 2;
    if (count < 2 || count > NETEM_MAX_HOSTS || count > room) {
        fprintf(stderr,
                "pickaxe-netem: 2..%d namespaces, within the "
                "subnet\n",
                NETEM_MAX_HOSTS);
        return 2;
    }
    rng_state ^= o.seed * 0x2545f4914f6cdd1dull;
    if (!rng_state)
        rng_state = 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    host_t *hosts = calloc(count, sizeof *hosts);
    if (home < 0 || !hosts) {
        fprintf(stderr, "pickaxe-netem: %s\n", strerror(errno));
        return 1;
    }
    int status = 0;
    size_t made = 0;
    for (; made < count && !stop_flag; made++) {
        hosts[made].fd = make_device(argv[optind + made],
                                     o.net + 1 + (uint32_t)made, o.prefix);
        if (hosts[made].fd < 0) {
            status = 1;
            break;
        }
    }
    if (setns(home, CLONE_NEWNET) != 0) {
        fprintf(stderr, "pickaxe-netem: back home: %s\n", strerror(errno));
        status = 1;
    }
    counts_t c = {0};
    if (status == 0 && !stop_flag) {
        printf("ready\n");
        fflush(stdout);
        if (run(hosts, count, &o, &c) != 0) {
            fprintf(stderr, "pickaxe-netem: %s\n", strerror(errno));
            status = 1;
        }
    }
    for (size_t i = 0; i < made && i < count; i++)
        if (hosts[i].fd >= 0)
            close(hosts[i].fd);
    free(hosts);
    close(home);
    printf("{\"forwarded\":%llu,\"lost\":%llu,\"overflow\":%llu,"
           "\"unroutable\":%llu,\"max_queued\":%llu}\n",
           (unsigned long long)c.forwarded, (unsigned long long)c.lost,
           (unsigned long long)c.overflow, (unsigned long long)c.unroutable,
           (unsigned long long)c.max_queued);
    return status;
}
