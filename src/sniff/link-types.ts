/** LINKTYPE_* numbers (tcpdump.org/linktypes.html) of the framings the decoder understands. */
export const LINKTYPE = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
  // OpenBSD's and some old systems' numbers for raw IP, seen in files written there
  RAW_ALT_12: 12,
  RAW_ALT_14: 14,
} as const;

const SUPPORTED = new Set<number>(Object.values(LINKTYPE));

/** Whether the decoder finds IP packets in frames of this link type. */
export function linkTypeSupported(linkType: number): boolean {
  return SUPPORTED.has(linkType);
}

/** tcpdump's names (pcap_datalink_val_to_name) of the link types we decode and of common others. */
const NAMES: Record<number, string> = {
  0: 'NULL', 1: 'EN10MB', 9: 'PPP', 101: 'RAW', 105: 'IEEE802_11', 108: 'LOOP', 113: 'LINUX_SLL',
  127: 'IEEE802_11_RADIO', 192: 'PPI', 195: 'IEEE802_15_4', 201: 'BLUETOOTH_HCI_H4_WITH_PHDR',
  220: 'USB_LINUX_MMAPPED', 228: 'IPV4', 229: 'IPV6', 253: 'NETLINK', 276: 'LINUX_SLL2',
};
for (let i = 0; i <= 15; i++) NAMES[147 + i] = `USER${i}`;

/** "EN10MB (1)": tcpdump's name and the number, for the "listening on" line and notes. */
export function linkTypeText(linkType: number): string {
  return NAMES[linkType] ? `${NAMES[linkType]} (${linkType})` : String(linkType);
}

/** "EN10MB, LINUX_SLL, ...": what the decoder reads, for the note about a link type it does not. */
export function supportedLinkTypesText(): string {
  return [...SUPPORTED].filter((t) => NAMES[t]).map((t) => NAMES[t]).join(', ');
}

/** The link type strings `cap`'s open() returns, mapped to LINKTYPE numbers. */
export function linkTypeFromCapName(name: string): number | undefined {
  switch (name) {
    case 'ETHERNET':
      return LINKTYPE.ETHERNET;
    case 'LINKTYPE_LINUX_SLL':
      return LINKTYPE.LINUX_SLL;
    case 'NULL':
      return LINKTYPE.NULL;
    case 'RAW':
      return LINKTYPE.RAW;
  }
  const m = /^Unknown linktype (\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}
