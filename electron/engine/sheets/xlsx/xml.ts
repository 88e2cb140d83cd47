import { SaxesParser } from 'saxes';

/** What a reader of a part wants to hear about; element names come without their namespace prefix. */
export interface XmlHandlers {
  open?: (name: string, attributes: Record<string, string>) => void;
  close?: (name: string) => void;
  /** Character data, CDATA sections included, with entities and character references resolved. */
  text?: (text: string) => void;
}

/** Feeds the bytes of one part, chunk by chunk, to saxes. */
export interface XmlParser {
  write(bytes: Uint8Array): void;
  /** Malformed XML throws as it is written; a document that stops before its root element closes throws here. */
  end(): void;
}

/** An element's name without its namespace prefix: some writers spell <sheetData> as <x:sheetData>. */
function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}

/** Bytes decoded and parsed at a time, so that a part is never held as one string. */
const SLICE_BYTES = 64 * 1024;

/** An XML parser that decodes UTF-8 across the chunks it is given, so a character is never cut in two. */
export function xmlParser(
  handlers: XmlHandlers,
  limit: { textChars: number; tooLong: () => Error } = { textChars: Infinity, tooLong: () => new Error() },
): XmlParser {
  // Without namespace processing (names keep their prefix, attributes are plain strings) and
  // without tracking lines and columns.
  const parser = new SaxesParser<{ xmlns: false; position: false }>({ xmlns: false, position: false });
  const { open, close, text } = handlers;
  if (open !== undefined) parser.on('opentag', (tag) => open(localName(tag.name), tag.attributes));
  if (close !== undefined) parser.on('closetag', (tag) => close(localName(tag.name)));
  if (text !== undefined) {
    parser.on('text', text);
    parser.on('cdata', text);
  }
  const decoder = new TextDecoder();
  // Characters since the last "<": saxes gathers a run of text into one string before it hands
  // it on, so a run of gigabytes (a zip bomb of spaces) is refused here, while it is being fed.
  let run = 0;
  return {
    write(bytes) {
      for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
        const text = decoder.decode(bytes.subarray(at, at + SLICE_BYTES), { stream: true });
        const markup = text.lastIndexOf('<');
        run = markup < 0 ? run + text.length : text.length - markup;
        if (run > limit.textChars) throw limit.tooLong();
        parser.write(text);
      }
    },
    end() {
      const rest = decoder.decode();
      if (rest !== '') parser.write(rest);
      parser.close();
    },
  };
}
