/* placeholder until the user-mode loader lands */
int main(void) { return 1; }
