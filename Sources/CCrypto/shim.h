// OpenSSL's libcrypto (Debian's libssl-dev), already in the process through libcurl: digests.
#include <openssl/evp.h>
