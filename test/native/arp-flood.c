/*
 * ARP load generator for the L2 benchmark (hack/bench/l2.ts), run in the client namespace. It is C,
 * not TypeScript, so that what the benchmark measures is the responder: the TypeScript client
 * (test/l2/arp-flood.ts) spends as much CPU per request as the responder
 * does per reply, and on a loaded two-core machine it was the first to saturate.
 *
 *   arp-flood IFNAME TARGET latency COUNT          one request at a time: reply time percentiles
 *   arp-flood IFNAME TARGET throughput MS WINDOW   WINDOW requests in flight for MS ms: replies/s
 *
 * Each request carries its own sender address (from the RFC 2544 range 198.18.0.0/15), so a reply
 * (whose target address is that sender) names its request. A request unanswered for 200 ms
 * (latency) or 100 ms (throughput) is counted lost and its slot in the window reused. Prints one
 * JSON line, with the same fields as the TypeScript client.
 *
 * Build: cc -O2 -o arp-flood arp-flood.c (the benchmark does this itself). Needs CAP_NET_RAW.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* Sender addresses 198.18.0.1 .. 198.19.255.254, by sequence number. */
#define SENDERS ((1u << 17) - 2)

static int fd;
static unsigned char our_mac[6];
static uint32_t target_ip; /* network order */
static uint64_t *sent_at;  /* by sequence number; 0 = not outstanding */
static unsigned char request[60];

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "arp-flood: %s: %s\n", what, strerror(errno));
  exit(1);
}

static uint32_t sender_ip(uint32_t seq) { return htonl(0xc6120000u + seq + 1); }

/* Sends the request of sequence number seq and records when. */
static void ask(uint32_t seq) {
  uint32_t ip = sender_ip(seq);
  memcpy(request + 28, &ip, 4);
  sent_at[seq] = now_ns();
  if (send(fd, request, sizeof request, 0) < 0 && errno != ENOBUFS && errno != EAGAIN) die("send");
}

/* The sequence number a frame answers (a reply from TARGET to one of our senders), or -1. */
static long answered(const unsigned char *f, ssize_t len) {
  if (len < 42 || f[12] != 0x08 || f[13] != 0x06 || f[20] != 0 || f[21] != 2) return -1;
  if (memcmp(f + 28, &target_ip, 4) != 0) return -1;
  uint32_t t;
  memcpy(&t, f + 38, 4);
  uint32_t n = ntohl(t) - 0xc6120000u;
  if (n == 0 || n > SENDERS) return -1;
  return (long)(n - 1);
}

static int compare_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static double percentile_us(const uint64_t *sorted, size_t n, double p) {
  if (n == 0) return 0;
  size_t i = (size_t)(p / 100 * (double)n);
  if (i >= n) i = n - 1;
  return (double)sorted[i] / 1000.0;
}

static void latency(unsigned count) {
  uint64_t *samples = calloc(count ? count : 1, sizeof *samples);
  size_t got = 0;
  unsigned lost = 0;
  unsigned char frame[2048];
  for (unsigned i = 0; i < count; i++) {
    uint32_t seq = i % SENDERS;
    ask(seq);
    uint64_t deadline = sent_at[seq] + 200000000u;
    for (;;) {
      uint64_t now = now_ns();
      if (now >= deadline) {
        lost++;
        sent_at[seq] = 0;
        break;
      }
      struct pollfd p = {.fd = fd, .events = POLLIN};
      int ms = (int)((deadline - now) / 1000000u) + 1;
      if (poll(&p, 1, ms) < 0 && errno != EINTR) die("poll");
      ssize_t len = recv(fd, frame, sizeof frame, MSG_DONTWAIT);
      uint64_t at = now_ns();
      if (len < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        die("recv");
      }
      if (answered(frame, len) == (long)seq) {
        samples[got++] = at - sent_at[seq];
        sent_at[seq] = 0;
        break;
      }
    }
  }
  qsort(samples, got, sizeof *samples, compare_u64);
  printf("{\"requests\":%u,\"lost\":%u,\"p50_us\":%.0f,\"p99_us\":%.0f,\"max_us\":%.0f,\"client\":\"c\"}\n", count, lost,
         percentile_us(samples, got, 50), percentile_us(samples, got, 99), got ? (double)samples[got - 1] / 1000.0 : 0.0);
  free(samples);
}

static void throughput(unsigned ms, unsigned window) {
  /* Outstanding requests in the order sent: the oldest is the first to time out. */
  uint32_t *order = calloc(SENDERS, sizeof *order);
  size_t head = 0, tail = 0; /* order[head..tail) modulo SENDERS */
  unsigned in_flight = 0;
  uint64_t replies = 0, sent = 0;
  uint32_t next = 0;
  unsigned char frame[2048];
  uint64_t start = now_ns(), end = start + (uint64_t)ms * 1000000u;
  for (;;) {
    uint64_t now = now_ns();
    if (now >= end) break;
    while (head != tail && (sent_at[order[head]] == 0 || now - sent_at[order[head]] > 100000000u)) {
      if (sent_at[order[head]] != 0) { /* lost: free its slot in the window */
        sent_at[order[head]] = 0;
        in_flight--;
      }
      head = (head + 1) % SENDERS;
    }
    while (in_flight < window && (tail + 1) % SENDERS != head) {
      uint32_t seq = next;
      next = (next + 1) % SENDERS;
      if (sent_at[seq] != 0) break; /* a whole lap still outstanding: wait */
      ask(seq);
      order[tail] = seq;
      tail = (tail + 1) % SENDERS;
      in_flight++;
      sent++;
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 1) < 0 && errno != EINTR) die("poll");
    for (;;) {
      ssize_t len = recv(fd, frame, sizeof frame, MSG_DONTWAIT);
      if (len < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        die("recv");
      }
      long seq = answered(frame, len);
      if (seq < 0 || sent_at[seq] == 0) continue;
      sent_at[seq] = 0;
      in_flight--;
      replies++;
    }
  }
  double seconds = (double)(now_ns() - start) / 1e9;
  printf("{\"sent\":%llu,\"replies\":%llu,\"seconds\":%.3f,\"replies_per_s\":%.0f,\"window\":%u,\"client\":\"c\"}\n",
         (unsigned long long)sent, (unsigned long long)replies, seconds, (double)replies / seconds, window);
  free(order);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: arp-flood IFNAME TARGET latency COUNT | throughput MS WINDOW\n");
    return 2;
  }
  const char *ifname = argv[1];
  struct in_addr target;
  if (inet_pton(AF_INET, argv[2], &target) != 1) {
    fprintf(stderr, "arp-flood: not an IPv4 address: %s\n", argv[2]);
    return 2;
  }
  target_ip = target.s_addr;
  fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
  if (fd < 0) die("socket(AF_PACKET)");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) die(ifname);
  memcpy(our_mac, ifr.ifr_hwaddr.sa_data, 6);
  struct sockaddr_ll addr = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP), .sll_ifindex = (int)if_nametoindex(ifname)};
  if (addr.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  int one = 1;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one); /* best effort: answered() skips them anyway */
  int rcvbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

  /* Who has TARGET? Tell 198.18.x.y: broadcast, from our MAC, padded to 60 bytes. */
  memset(request, 0xff, 6);
  memcpy(request + 6, our_mac, 6);
  static const unsigned char arp_header[] = {0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
  memcpy(request + 12, arp_header, sizeof arp_header);
  memcpy(request + 22, our_mac, 6);
  memcpy(request + 38, &target_ip, 4);

  sent_at = calloc(SENDERS, sizeof *sent_at);
  if (sent_at == NULL) die("calloc");
  if (strcmp(argv[3], "throughput") == 0) {
    throughput((unsigned)atoi(argv[4]), argc > 5 ? (unsigned)atoi(argv[5]) : 64);
  } else {
    latency((unsigned)atoi(argv[4]));
  }
  close(fd);
  return 0;
}
