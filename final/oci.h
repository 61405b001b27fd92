/*
 * oci.h: final-oci, the OCI runtime's command line (runc's shape).
 */
#ifndef FINAL_OCI_H
#define FINAL_OCI_H

/* The whole command line of the binary called as final-oci; its exit status. */
int oci_main(int argc, char **argv);

#endif
