// Reads tokens, one per line (raw UTF-8 bytes,
// with "\n" and "\\" escaped as written by gen_beyond_golden.py), prints util::Fingerprint64 of each
// token's bytes as an unsigned decimal, one per line. Google's FarmHash (Debian libfarmhash-dev).
#include <farmhash.h>
#include <iostream>
#include <string>

static std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      char c = s[++i];
      out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
    } else {
      out += s[i];
    }
  }
  return out;
}

int main() {
  std::string line;
  while (std::getline(std::cin, line)) {
    std::string token = unescape(line);
    std::cout << util::Fingerprint64(token.data(), token.size()) << "\n";
  }
  return 0;
}
