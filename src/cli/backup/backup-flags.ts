/** The flags of `keyhold backup`; in a terminal the wizard asks for whatever they leave open. */
export interface BackupFlags {
  from?: string;
  id?: string;
  password?: string;
  volume?: string;
  image?: string;
  to?: string;
  usb?: string;
  file?: string;
  printer?: string;
  pdf?: string;
  lang: string;
  paper: string;
  deviceName?: string;
  account?: string;
  /** With --to account: the organisation library to add the key to, by name. */
  org?: string;
  yes?: boolean;
  json?: boolean;
}
