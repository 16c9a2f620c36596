import { Fragment } from 'react';

/**
 * An email address that wraps where a reader expects it to (after a dot, before the @) rather
 * than in the middle of a word; a single very long word still breaks (overflow-wrap in CSS).
 */
export function EmailText({ email }: { email: string }) {
  const parts = email.split(/(?<=[.\-_+])|(?=@)/);
  return (
    <>
      {parts.map((part, index) => (
        <Fragment key={index}>
          {index > 0 ? <wbr /> : null}
          {part}
        </Fragment>
      ))}
    </>
  );
}
