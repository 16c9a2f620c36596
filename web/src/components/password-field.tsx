import { useId } from 'react';

interface PasswordFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  /** `new-password` lets password managers offer to generate and save one. */
  autoComplete?: 'current-password' | 'new-password';
  minLength?: number;
  hint?: string;
  autoFocus?: boolean;
  invalid?: boolean;
}

/** A labelled, required password input, as every form that asks for one shows it. */
export function PasswordField({
  label,
  value,
  onChange,
  autoComplete = 'current-password',
  minLength,
  hint,
  autoFocus,
  invalid,
}: PasswordFieldProps) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="password"
        autoComplete={autoComplete}
        required
        minLength={minLength}
        autoFocus={autoFocus}
        aria-invalid={invalid}
        value={value}
        onChange={(event) => {
          onChange(event.target.value);
        }}
      />
      {hint ? <p className="hint">{hint}</p> : null}
    </div>
  );
}
