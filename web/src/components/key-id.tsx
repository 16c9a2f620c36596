/**
 * A Key ID with its first 8 characters emphasised: those are what the blue recovery screen
 * shows, so they are what a person compares.
 */
export function KeyId({ protectorId, className }: { protectorId: string; className?: string }) {
  return (
    <span className={className ? `key-id ${className}` : 'key-id'}>
      <strong>{protectorId.slice(0, 8)}</strong>
      {protectorId.slice(8)}
    </span>
  );
}
