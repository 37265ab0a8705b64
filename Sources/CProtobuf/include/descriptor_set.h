#ifndef CBP_DESCRIPTOR_SET_H
#define CBP_DESCRIPTOR_SET_H
/* Serialized google.protobuf.FileDescriptorSet of every file in proto/, for server reflection. */
extern const unsigned char cbp_descriptor_set[];
extern const unsigned long cbp_descriptor_set_len;
/* The array's address (Swift imports an unsized extern array poorly). */
static inline const unsigned char *cbp_descriptor_set_ptr(void) { return cbp_descriptor_set; }
#endif
