/** Test input shared by the converter's example and property tests. */

/** A v0.12 configuration that uses every legacy field. */
export const FULL_V012 = `
peers:
- peer-address: 192.0.2.1
  peer-asn: 64501
  my-asn: 64500
  peer-port: 1179
  hold-time: 120s
  keepalive-time: 40s
  router-id: 192.0.2.100
  password: yes
  source-address: 192.0.2.2
  bfd-profile: fast
  ebgp-multihop: true
  node-selectors:
  - match-labels: {rack: a}
    match-expressions: [{key: kubernetes.io/hostname, operator: In, values: [n1, n2]}]
  - match-expressions: [{key: spine, operator: Exists}]
- peer-address: 2001:db8::1
  peer-asn: 64500
  my-asn: 64500
  keepalive-time: 10s
  router-id: 192.0.2.100
  node-selectors: [{match-labels: {rack: b}}]
- peer-address: 2001:db8::1
  peer-asn: 64500
  my-asn: 64500
  hold-time: 0s
  router-id: 192.0.2.100
  node-selectors: [{match-labels: {rack: c}}]
bgp-communities:
  no-export: 65535:65281
  "1:2": "3:4"
address-pools:
- name: bgp-pool
  protocol: bgp
  addresses: [198.51.100.0/24, 203.0.113.10 - 203.0.113.20]
  avoid-buggy-ips: true
  auto-assign: no
  bgp-advertisements:
  - aggregation-length: 32
    localpref: 100
    communities: [64512:1, no-export, "1:2"]
  - aggregation-length: 30
    aggregation-length-v6: 120
- name: plain
  protocol: bgp
  addresses: [2001:db8:1::/120]
- name: l2
  protocol: layer2
  addresses: [192.0.2.128/25]
  auto-assign: true
bfd-profiles:
- name: fast
  receive-interval: 100
  transmit-interval: 100
  echo-interval: 50
  echo-mode: false
  passive-mode: true
  minimum-ttl: 254
  detect-multiplier: 3
- name: slow
`;
