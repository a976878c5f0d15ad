import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { SourceError } from '../errors.js';
import { unreachable } from './git-exec.js';

/**
 * Address ranges no repository URL may lead to unless the operator says otherwise: link-local
 * (169.254.169.254 is the cloud metadata endpoint of AWS, GCP, Azure and OpenStack, which hands
 * out the node's credentials) and the IPv6 equivalents. Loopback and private ranges stay allowed
 * by default: the test fleet and many in-cluster Git servers live there.
 */
export const DEFAULT_DENIED_NETWORKS: readonly string[] = [
  '169.254.0.0/16',
  'fe80::/10',
  'fd00:ec2::254/128',
];

/** A parsed deny-list; `describe` names the range an address fell into, for the error. */
export interface DeniedNetworks {
  list: BlockList;
  ranges: { cidr: string; check: BlockList }[];
}

/** Parses CIDRs (`10.0.0.0/8`, `fe80::/10`, a bare address); throws RangeError naming a bad entry. */
export function parseDeniedNetworks(cidrs: readonly string[]): DeniedNetworks {
  const list = new BlockList();
  const ranges: DeniedNetworks['ranges'] = [];
  for (const raw of cidrs) {
    const cidr = raw.trim();
    const [address = '', prefixText] = cidr.split('/');
    const family = isIP(address);
    const prefix = prefixText === undefined ? (family === 6 ? 128 : 32) : Number(prefixText);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > max)
      throw new RangeError(`denied network "${raw}" is not an address range such as 169.254.0.0/16`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(address, prefix, type);
    const check = new BlockList();
    check.addSubnet(address, prefix, type);
    ranges.push({ cidr, check });
  }
  return { list, ranges };
}

/** The denied range `address` is in, or undefined. IPv4-mapped IPv6 addresses count as IPv4 (BlockList does that). */
export function deniedRange(denied: DeniedNetworks, address: string): string | undefined {
  const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (!denied.list.check(address, type)) return undefined;
  return denied.ranges.find((r) => r.check.check(address, type))?.cidr ?? 'a denied range';
}

/** How names are resolved; injectable for tests. */
export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Checks the addresses `fetchUrl`'s host resolves to against the deny-list before git connects,
 * and returns the `http.curloptResolve` entry that pins git to exactly those addresses (so a DNS
 * answer that changes between our check and git's connect cannot lead elsewhere). IP literals need
 * no pin. A name that does not resolve is the uniform unreachable error; a denied address is
 * `source.AddressDenied`, which names only the range (the tenant chose the URL, so it knows the
 * host). With an HTTP proxy configured the proxy resolves the name: the check still applies to
 * our own resolution, the pin does not.
 */
export async function screenUrl(
  fetchUrl: string,
  denied: DeniedNetworks,
  resolver: Resolver = systemResolver,
): Promise<string | undefined> {
  const url = new URL(fetchUrl);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = await screenHost(fetchUrl, host, denied, resolver);
  if (isIP(host) !== 0) return undefined;
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${host}:${port}:${addresses.map((a) => (isIP(a) === 6 ? `[${a}]` : a)).join(',')}`;
}

/**
 * The addresses `host` resolves to (an IP literal is its own), each checked against the deny-list:
 * the check screenUrl() makes, for transports that pin differently (SSH connects to one of these
 * addresses by `-o Hostname=`). Errors as screenUrl(); `repoUrl` only names the repository in them.
 */
export async function screenHost(
  repoUrl: string,
  host: string,
  denied: DeniedNetworks,
  resolver: Resolver = systemResolver,
): Promise<string[]> {
  let addresses: string[];
  if (isIP(host) !== 0) addresses = [host];
  else {
    try {
      addresses = await resolver(host);
    } catch {
      throw unreachable(repoUrl);
    }
    if (addresses.length === 0) throw unreachable(repoUrl);
  }
  for (const address of addresses) {
    const range = deniedRange(denied, address);
    if (range)
      throw new SourceError(
        repoUrl,
        `the repository's address is in ${range}, which gitfleet is configured not to contact`,
        { code: 'source.AddressDenied', transient: false },
      );
  }
  return addresses;
}
