/** The form an email is stored and compared in: people type it with stray spaces and capitals. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
