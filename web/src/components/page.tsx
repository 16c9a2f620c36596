import { useEffect, useRef, type ReactNode } from 'react';

interface PageProps {
  title: string;
  /** Shown beside the heading (actions such as "Add a key"). */
  actions?: ReactNode;
  intro?: ReactNode;
  children: ReactNode;
  narrow?: boolean;
  /** False where a field of the page takes the focus instead (a search people type into at once). */
  focusHeading?: boolean;
}

/**
 * Every page names itself in the tab title and takes focus on its heading when it opens, so a
 * screen reader announces where a navigation landed.
 */
export function Page({
  title,
  actions,
  intro,
  children,
  narrow = false,
  focusHeading = true,
}: PageProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Keyhold`;
  }, [title]);
  useEffect(() => {
    if (focusHeading) heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className={narrow ? 'page page-narrow' : 'page'}>
      <div className="page-header">
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {actions ? <div className="page-actions">{actions}</div> : null}
      </div>
      {intro ? <div className="page-intro">{intro}</div> : null}
      {children}
    </div>
  );
}
