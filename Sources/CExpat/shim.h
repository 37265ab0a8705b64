// Expat (Debian's libexpat1-dev): the XML parser for S3's answers (ListObjectsV2, errors).
#include <expat.h>
