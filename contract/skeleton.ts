/**
 * The confusable skeleton of UTS #39 (section 4): two strings that look alike have the same skeleton ("аlice" with a
 * Cyrillic а, "alice"; "rn", "m"). The mapping is Unicode's confusables.txt, as the `unhomoglyph` package ships it;
 * this is the one module that imports it. Pure JavaScript and data, so it runs in the workflow sandbox too.
 */
import unhomoglyph from 'unhomoglyph';

/** NFD, every character replaced by its prototype, NFD again: the definition of skeleton(X). Not for display. */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD')).normalize('NFD');
}
