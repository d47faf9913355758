const MAX_QUOTED = 120;

/** A user's text in a message, Go %q style, cut short so a huge value cannot flood the output. */
export function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTED ? `${text.slice(0, MAX_QUOTED)}...` : text);
}
