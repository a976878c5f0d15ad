import { useCallback, useEffect, useRef, useState, type RefObject, type UIEvent } from 'react';

export interface RowWindow {
  /** First and one-past-last row index to render. */
  start: number;
  end: number;
  onScroll(e: UIEvent<HTMLElement>): void;
  ref: RefObject<HTMLDivElement | null>;
}

/**
 * Vertical windowing for a scroll container of fixed-height rows: only the rows in view (plus
 * `overscan` on each side) are rendered, so 200 rows × 10 clusters or 20,000 cells cost the same
 * DOM. The container's height is measured on resize; rows are absolutely placed by the caller at
 * `index * rowHeight` inside a spacer of `count * rowHeight`.
 */
export function useRowWindow(count: number, rowHeight: number, overscan = 8): RowWindow {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(800);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);
  const onScroll = useCallback((e: UIEvent<HTMLElement>) => setScrollTop(e.currentTarget.scrollTop), []);
  const start = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return { start, end, onScroll, ref };
}
