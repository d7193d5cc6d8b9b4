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

/** "EN10MB (1)": tcpdump's name and the number, for the "listening on" line. */
export function linkTypeText(linkType: number): string {
  const names: Record<number, string> = { 0: 'NULL', 1: 'EN10MB', 101: 'RAW', 108: 'LOOP', 113: 'LINUX_SLL', 276: 'LINUX_SLL2' };
  return names[linkType] ? `${names[linkType]} (${linkType})` : String(linkType);
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
