// Run by tests/integration/java.sh natively and under lemu-x86_64: the JVM's JIT, its implicit
// null checks and stack banging (SIGSEGV handlers that resume elsewhere), and threads.
import java.util.*;
public class Exceptions {
	static int depth(int n) { return n == 0 ? 0 : 1 + depth(n - 1); }
	public static void main(String[] a) throws Exception {
		Object o = null;
		int caught = 0;
		for (int i = 0; i < 20000; i++) {
			try { o.hashCode(); } catch (NullPointerException e) { caught++; }
		}
		System.out.println("NPEs caught " + caught);
		try { depth(1 << 30); } catch (StackOverflowError e) { System.out.println("stack overflow caught"); }
		int[] arr = new int[10];
		try { arr[10] = 1; } catch (ArrayIndexOutOfBoundsException e) { System.out.println("AIOOBE caught"); }
		System.out.println("div " + (caught / (arr[0] + 1)));
		try { int z = arr[0]; System.out.println(5 / z); } catch (ArithmeticException e) { System.out.println("div by zero caught"); }
		Thread[] ts = new Thread[4]; long[] r = new long[4];
		for (int t = 0; t < 4; t++) { final int k = t; ts[t] = new Thread(() -> { long s = 0; for (int i = 0; i < 3000000; i++) s += i ^ k; r[k] = s; }); ts[t].start(); }
		for (Thread t : ts) t.join();
		System.out.println(Arrays.toString(r));
		TreeMap<String, Integer> m = new TreeMap<>(); for (int i = 0; i < 50000; i++) m.merge("k" + (i % 97), i, Integer::sum);
		System.out.println(m.firstEntry() + " " + m.size());
	}
}
