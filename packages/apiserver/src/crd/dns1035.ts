/**
 * validation.IsDNS1035Label, the rule apiextensions applies to resource names, kinds, short names,
 * categories and version names: lower-case alphanumerics and '-', starting with a letter.
 */
import { maxLenError, regexError } from '@keelson/apimachinery';

const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1035_LABEL_ERR_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const DNS1035_LABEL_MAX_LENGTH = 63;
const dns1035LabelRe = new RegExp(`^${DNS1035_LABEL_FMT}$`);

/** The messages upstream gives for `v`, [] when valid. */
export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (Buffer.byteLength(v, 'utf8') > DNS1035_LABEL_MAX_LENGTH) errs.push(maxLenError(DNS1035_LABEL_MAX_LENGTH));
  if (!dns1035LabelRe.test(v)) errs.push(regexError(DNS1035_LABEL_ERR_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}
